"""A stolen token is not the account: password changes need the password, tokens expire and can be revoked."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from older_files import as_version


@pytest.fixture
def config(config):
    """127.0.0.1 plays a trusted proxy, so each request can name its client; a quick token recheck."""
    return config.replace(trusted_proxies=("127.0.0.1",), login_rate=3, token_recheck=0.2)


@pytest.fixture
def age_tokens(config):
    """Move tokens' times into the past, as another process writing the file would."""
    def age(column: str, seconds: float, token_ids: list[int] | None = None, db: str | None = None) -> None:
        then = (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()
        conn = sqlite3.connect(db or config.db, timeout=5)
        try:
            where = f" WHERE id IN ({','.join(map(str, token_ids))})" if token_ids else ""
            conn.execute(f"UPDATE tokens SET {column} = ?{where}", (then,))
            conn.commit()
        finally:
            conn.close()
    return age


async def login(client, user, address: str) -> dict:
    resp = await client.post("/api/user/login/", json={"email": user["email"], "password": user["password"]},
                             headers={"X-Forwarded-For": address})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Token {(await resp.json())['token']}"}


async def test_a_token_alone_cannot_change_the_password(client, register):
    asha = await register("Asha")
    url = "/api/user/me/"
    resp = await client.patch(url, headers=asha.auth, json={"password": "taken over"})
    assert resp.status == 400 and list(await resp.json()) == ["current_password"]
    for guess in ("guess one", "guess two", "guess three"):
        resp = await client.patch(url, headers=asha.auth, json={"password": "taken over", "current_password": guess})
        assert resp.status == 400 and list(await resp.json()) == ["current_password"]
    # Guessing the current password this way is a login guess like any other: throttled.
    resp = await client.patch(url, headers=asha.auth, json={"password": "taken over",
                                                           "current_password": asha["password"]})
    assert resp.status == 429
    assert (await login(client, asha, "198.51.100.20"))  # her password is unchanged
    resp = await client.patch(url, headers={**asha.auth, "X-Forwarded-For": "198.51.100.20"},
                              json={"password": "her new one", "current_password": asha["password"]})
    assert resp.status == 200, await resp.text()


async def test_tokens_are_listed_with_creation_last_use_and_address_never_whole(client, register):
    asha, ravi = await register("Asha"), await register("Ravi")
    phone = await login(client, asha, "203.0.113.5")
    resp = await client.get("/api/user/tokens/", headers={**phone, "X-Forwarded-For": "203.0.113.5"})
    assert resp.status == 200
    text = await resp.text()
    assert asha.token not in text and phone["Authorization"][6:] not in text
    first, second = await resp.json()
    assert set(first) == {"id", "prefix", "created_at", "last_used_at", "address", "is_current"}
    assert (first["is_current"], second["is_current"]) == (False, True)
    assert first["prefix"] == asha.token[:6] and second["address"] == "203.0.113.5"
    assert second["last_used_at"] >= second["created_at"]
    assert [t["is_current"] for t in await (await client.get("/api/user/tokens/", headers=ravi.auth)).json()] == [True]


async def test_revoking_a_token_closes_its_sockets_and_only_its_owner_may(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    stolen = await login(client, asha, "203.0.113.5")
    ws = await client.ws_connect(f"/ws/chat/{room['id']}/", headers=stolen)
    tokens = await (await client.get("/api/user/tokens/", headers=asha.auth)).json()
    [victim] = [t["id"] for t in tokens if not t["is_current"]]
    assert (await client.delete(f"/api/user/tokens/{victim}/", headers=ravi.auth)).status == 404
    assert (await client.delete(f"/api/user/tokens/{victim}/", headers=asha.auth)).status == 200
    msg = await ws.receive(timeout=3)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001
    assert (await client.get("/api/user/me/", headers=stolen)).status == 401
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200
    assert (await client.delete(f"/api/user/tokens/{victim}/", headers=asha.auth)).status == 404


async def test_last_use_is_written_at_most_once_a_minute(client, register, age_tokens, db_rows):
    asha = await register("Asha")
    age_tokens("last_used_at", 61)
    [(before,)] = db_rows("SELECT last_used_at FROM tokens")
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200
    [(touched,)] = db_rows("SELECT last_used_at FROM tokens")
    assert touched > before
    for _ in range(5):
        assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200
    assert db_rows("SELECT last_used_at FROM tokens") == [(touched,)]


async def test_without_lifetimes_an_old_token_keeps_working(client, register, age_tokens):
    asha = await register("Asha")
    age_tokens("created_at", 400 * 86400)
    age_tokens("last_used_at", 400 * 86400)
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200


@pytest.mark.parametrize("setting, column", [("token_lifetime", "created_at"), ("token_idle", "last_used_at")])
async def test_an_expired_token_is_refused_and_its_sockets_close(make_client, config, tmp_path, register, make_room,
                                                                 age_tokens, setting, column):
    expiring = config.replace(**{setting: 3600.0}, db=str(tmp_path / "expiring.db"))
    cl = await make_client(expiring)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    ws_ravi = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    mine = [t["id"] for t in await (await cl.get("/api/user/tokens/", headers=asha.auth)).json()]
    age_tokens(column, 3601, mine, expiring.db)
    msg = await ws.receive(timeout=5)  # at the next recheck
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001
    assert (await cl.get("/api/user/me/", headers=asha.auth)).status == 401
    assert (await cl.get("/api/user/me/", headers=ravi.auth)).status == 200
    await ws_ravi.send_json({"message": "still here"})
    assert (await ws_ravi.receive_json(timeout=3))["message"] == "still here"
    await ws_ravi.close()


async def test_a_database_from_before_token_times_is_migrated_and_its_tokens_keep_working(make_client, config,
                                                                                          tmp_path, register):
    asha = await register("Asha")
    old = str(tmp_path / "old.db")
    conn = sqlite3.connect(old)
    try:  # a copy of the file as the previous schema left it: tokens without last use or address
        source = sqlite3.connect(config.db, timeout=5)
        source.backup(conn)
        source.close()
        as_version(conn, 1)
        conn.commit()
    finally:
        conn.close()
    cl = await make_client(config.replace(db=old))
    resp = await cl.get("/api/user/tokens/", headers=asha.auth)
    assert resp.status == 200, await resp.text()
    [token] = await resp.json()
    assert token["is_current"] and token["last_used_at"] is not None  # its first use after the upgrade
    assert token["address"] == "127.0.0.1"
