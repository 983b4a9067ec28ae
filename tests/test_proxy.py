"""Behind a trusted reverse proxy, per-address limits apply to each client, not to the proxy."""

from __future__ import annotations

import aiohttp
import pytest


@pytest.fixture
def config(config):
    """The test client connects from 127.0.0.1, which plays the proxy here."""
    return config.replace(trusted_proxies=("127.0.0.1",), login_address_rate=2, max_sockets_per_ip=1)


async def failed_login(client, email: str, forwarded: str) -> int:
    resp = await client.post("/api/user/login/", json={"email": email, "password": "wrong password"},
                             headers={"X-Forwarded-For": forwarded})
    await resp.read()
    return resp.status


async def test_login_throttle_counts_each_forwarded_client(client):
    statuses = [await failed_login(client, f"u{i}@example.org", "203.0.113.7") for i in range(3)]
    assert statuses == [401, 401, 429]
    assert await failed_login(client, "other@example.org", "198.51.100.9") == 401


async def test_a_client_cannot_hide_behind_a_spoofed_first_hop(client):
    for i in range(2):
        await failed_login(client, f"s{i}@example.org", f"10.9.9.{i}, 203.0.113.8")
    assert await failed_login(client, "s9@example.org", "10.9.9.99, 203.0.113.8") == 429


async def test_sockets_per_address_use_the_forwarded_address(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    first = await connect(asha, room["id"], headers={"X-Forwarded-For": "203.0.113.7"})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await connect(asha, room["id"], headers={"X-Forwarded-For": "203.0.113.7"})
    assert err.value.status == 429
    other = await connect(asha, room["id"], headers={"X-Forwarded-For": "198.51.100.9"})
    await first.close()
    await other.close()


async def test_untrusted_peers_cannot_choose_their_address(make_client, config, tmp_path):
    direct = await make_client(config.replace(trusted_proxies=(), db=str(tmp_path / "direct.db")))
    statuses = [await failed_login(direct, f"d{i}@example.org", f"198.51.100.{i}") for i in range(3)]
    assert statuses == [401, 401, 429]
