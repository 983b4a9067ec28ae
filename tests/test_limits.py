"""Limits and abuse: rate limits, socket caps, sizes, login throttling, Origin, secrets kept out of logs and files;
and the durability setting reaching SQLite."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from chatserver.app import create_app
from chatserver.keys import CONFIG, DB, METRICS, REGISTRY, SESSIONS
from chatserver.logs import AccessLogger, mask
from conftest import UPGRADE, close_code, drain, opened_sockets, recv, recv_until, silent, until

@pytest.fixture
def config(config):
    """Small limits, so that each is reached in a few frames."""
    return config.replace(rate_limit=5.0, rate_burst=10, max_sockets_per_user=3, max_sockets_per_ip=5,
                          max_mentions=2, max_message_length=100, max_json_depth=4, max_frame_bytes=2048,
                          login_rate=3, cors_origins=("https://app.example",))


async def test_flooder_is_rate_limited_and_nobody_else_notices(client, db_rows, seat_two):
    asha, ravi, room, ws_a, ws_r = await seat_two()
    for n in range(40):
        await ws_a.send_json({"message": f"flood {n}"})
    for n in range(3):
        await ws_r.send_json({"message": f"calm {n}"})
        await asyncio.sleep(0.05)
    at_asha, at_ravi = await drain(ws_a), await drain(ws_r)
    errors = [f for f in at_asha if f.get("action") == "error"]
    accepted = [f for f in at_asha if f.get("sender", {}).get("id") == asha["id"]]
    assert {e["code"] for e in errors} == {"rate_limited"} and len(errors) + len(accepted) == 40
    assert 10 <= len(accepted) <= 13, "a burst of 10 plus what 5/s refills meanwhile"
    assert [f["message"] for f in at_ravi if f["sender"]["id"] == ravi["id"]] == ["calm 0", "calm 1", "calm 2"]
    assert not any(f.get("action") == "error" for f in at_ravi)
    assert [f["id"] for f in at_ravi if f["sender"]["id"] == asha["id"]] == [f["id"] for f in accepted]
    assert client.app[METRICS].value("chat_rate_limited_total") == len(errors)
    assert db_rows("SELECT count(*) FROM messages") == [(len(accepted) + 3,)]
    await asyncio.sleep(0.4)  # the bucket refills: Asha may speak again
    await ws_a.send_json({"message": "after a pause"})
    assert (await recv(ws_r))["message"] == "after a pause"
    for ws in (ws_a, ws_r):
        await ws.close()


async def test_rate_limit_zero_lets_a_burst_through(make_client, config, tmp_path, register, make_room):
    cl = await make_client(config.replace(rate_limit=0, db=str(tmp_path / "free.db")))
    asha = await register("Asha", cl=cl)
    room = await make_room(asha, cl=cl)
    ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    for n in range(100):
        await ws.send_json({"message": f"m{n}"})
    got = [await recv(ws) for _ in range(100)]
    assert [f["seq"] for f in got] == list(range(1, 101))
    await ws.close()


async def refused(client, user, room_id: int, headers: dict | None = None) -> tuple[int, dict]:
    """The status and JSON body of a handshake that must be refused before the upgrade."""
    resp = await client.get(f"/ws/chat/{room_id}/?token={user.token}", headers={**UPGRADE, **(headers or {})})
    assert "Upgrade" not in resp.headers
    return resp.status, await resp.json()


async def until_fewer(client, key: str, what, limit: int) -> None:
    """Wait until the server has let go of a closed socket."""
    await until(lambda: getattr(client.app[REGISTRY], key)[what] < limit)


async def test_sockets_per_user_are_capped_before_the_upgrade(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    sockets = [await connect(asha, room["id"]) for _ in range(3)]
    assert await refused(client, asha, room["id"]) == (
        429, {"detail": "Too many open sockets for this user.", "code": "rate_limited"})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await connect(asha, room["id"])
    assert err.value.status == 429
    await sockets.pop().close()
    await until_fewer(client, "by_user", asha["id"], 3)
    sockets.append(await connect(asha, room["id"]))
    for ws in sockets:
        await ws.close()


async def test_sockets_per_address_are_capped_before_the_upgrade(client, register, make_room, connect):
    users = [await register(name) for name in ("Asha", "Ravi", "Mina")]
    room = await make_room(*users)
    sockets = [await connect(u, room["id"]) for u in users[:2] for _ in range(2)]
    sockets.append(await connect(users[2], room["id"]))
    assert await refused(client, users[2], room["id"]) == (
        429, {"detail": "Too many open sockets for this address.", "code": "rate_limited"})
    await sockets.pop(0).close()
    await until_fewer(client, "by_address", "127.0.0.1", 5)
    sockets.append(await connect(users[2], room["id"]))
    for ws in sockets:
        await ws.close()


@pytest.fixture
async def trio(register, make_room, connect):
    """Asha with an open socket in a room with Ravi and Mina."""
    asha, ravi, mina = await register("Asha"), await register("Ravi"), await register("Mina")
    room = await make_room(asha, ravi, mina)
    ws = await connect(asha, room["id"])
    yield asha, ravi, mina, room, ws
    await ws.close()


async def test_mentions_length_and_nesting_are_limited(trio, db_rows):
    asha, ravi, mina, room, ws = trio
    refusals = [
        ({"message": "hi all", "mentions": [asha["id"], ravi["id"], mina["id"]]}, "mentions"),
        ({"message": "x" * 101}, "message"),
        ({"message": "deep", "mentions": [[[[1]]]]}, "non_field_errors"),
    ]
    for frame, field in refusals:
        await ws.send_json(frame)
        error = await recv(ws)
        assert error["action"] == "error" and error["code"] == "invalid" and field in error["fields"], error
    await ws.send_str("[" * 1000 + "]" * 1000)
    assert (await recv(ws))["code"] in ("invalid", "invalid_json")
    assert db_rows("SELECT count(*) FROM messages") == [(0,)]
    await ws.send_json({"message": "y" * 100, "mentions": [ravi["id"], mina["id"]]})
    sent = await recv(ws)
    assert sent["mentions"] == sorted([ravi["id"], mina["id"]]) and len(sent["message"]) == 100
    await ws.send_json({"action": "edit_message", "message_id": sent["id"], "new_content": "z" * 101})
    assert (await recv(ws))["fields"] == {"new_content": ["Ensure this field has no more than 100 characters."]}


async def test_a_frame_over_the_size_limit_closes_only_that_socket_1009(trio, connect):
    asha, ravi, mina, room, ws = trio
    ws_r = await connect(ravi, room["id"])
    await ws_r.send_str('{"message": "' + "x" * 2040 + '"}')
    msg = await ws_r.receive(timeout=3)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1009
    await ws.send_json({"message": "still fine"})
    assert (await recv(ws))["message"] == "still fine"


async def login(session_or_client, url, email: str, password: str) -> aiohttp.ClientResponse:
    return await session_or_client.post(url, json={"email": email, "password": password})


async def test_logins_are_throttled_per_email_and_address_pair(client, register):
    asha, ravi = await register("Asha"), await register("Ravi")
    url = client.make_url("/api/user/login/")
    for _ in range(3):
        assert (await login(client.session, url, asha["email"], "wrong")).status == 401
    throttled = await login(client.session, url, asha["email"], asha["password"])
    assert throttled.status == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 61
    assert (await throttled.json())["code"] == "rate_limited"
    # Another address that has not failed logs Asha in; Ravi is still welcome at the first one.
    other = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))
    try:
        assert (await login(other, url, asha["email"], asha["password"])).status == 200
        assert (await login(client.session, url, ravi["email"], ravi["password"])).status == 200
    finally:
        await other.close()


async def test_login_throttle_zero_is_off(make_client, config, tmp_path, register):
    cl = await make_client(config.replace(login_rate=0, login_address_rate=0, db=str(tmp_path / "open.db")))
    asha = await register("Asha", cl=cl)
    started = time.monotonic()
    for _ in range(40):
        assert (await login(cl, "/api/user/login/", asha["email"], "wrong")).status == 401
    assert (await login(cl, "/api/user/login/", asha["email"], asha["password"])).status == 200
    assert time.monotonic() - started < 20 * cl.app[CONFIG].login_slowdown  # nor slowed


@pytest.mark.parametrize("origin, allowed", [
    ("https://app.example", True), ("https://app.example/", True), (None, True),
    ("https://evil.example", False), ("https://app.example.evil", False), ("null", False),
    ("http://app.example", False), ("http://127.0.0.1:1", False)])
async def test_websocket_origin_is_checked(client, register, make_room, connect, origin, allowed):
    asha = await register("Asha")
    room = await make_room(asha)
    headers = {"Origin": origin} if origin else {}
    if allowed:
        ws = await connect(asha, room["id"], headers=headers)
        await ws.close()
        return
    assert await refused(client, asha, room["id"], headers) == (
        403, {"detail": "This origin may not open sockets here.", "code": "forbidden"})
    own = f"http://{client.host}:{client.port}"
    ws = await connect(asha, room["id"], headers={"Origin": own})
    await ws.close()


def test_mask_hides_every_token_value():
    line = "GET /ws/chat/1/?token=0123abcd&after_seq=5 and /x?a=1&TOKEN=zz%20y 101"
    assert mask(line) == "GET /ws/chat/1/?token=***&after_seq=5 and /x?a=1&TOKEN=*** 101"


async def test_access_log_masks_tokens(aiohttp_client, config, register, make_room, caplog):
    server = TestServer(create_app(config.replace(db=str(Path(config.db).with_name("log.db")))))
    await server.start_server(access_log_class=AccessLogger)
    cl = await aiohttp_client(server)
    asha = await register("Asha", cl=cl)
    room = await make_room(asha, cl=cl)
    def access() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]

    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}&after_seq=0")
        await recv(ws)
        await ws.close()
        await cl.get(f"/api/chat/groups/?token={asha.token}")
        await until(lambda: len(access()) == 2)  # the socket (logged once it has ended) and the list
    lines = access()
    assert any(f"/ws/chat/{room['id']}/?token=***&after_seq=0 101" in line for line in lines), lines
    assert any("/api/chat/groups/?token=*** " in line for line in lines), lines
    assert not any(asha.token in r.getMessage() for r in caplog.records)


async def test_secrets_are_only_hashes_at_rest_after_real_use(client, config, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    login_token = (await (await client.post("/api/user/login/", json={
        "email": asha["email"], "password": asha["password"]})).json())["token"]
    ws = await connect(asha, room["id"])
    await ws.send_json({"message": "hello"})
    await recv(ws)
    await ws.close()
    raw = b"".join(p.read_bytes() for p in Path(config.db).parent.glob("chat.db*") if p.is_file())
    for secret in (asha.token, login_token, asha["password"]):
        assert secret.encode() not in raw and secret[:12].encode() not in raw


async def test_logout_revokes_at_once_sockets_included(client, seat_two):
    asha, ravi, room, ws_a, ws_r = await seat_two()
    await ws_a.send_json({"action": "typing"})
    await recv_until(ws_r, lambda f: f.get("action") == "typing")
    assert (await client.post("/api/user/logout/", headers=asha.auth)).status == 200
    msg = await ws_a.receive(timeout=3)
    while msg.type is aiohttp.WSMsgType.TEXT:  # her own typing frame
        msg = await ws_a.receive(timeout=3)
    assert msg.type is aiohttp.WSMsgType.CLOSE and (msg.data, msg.extra) == (4001, "token revoked")
    stopped = await recv_until(ws_r, lambda f: f.get("action") == "typing")
    assert stopped["is_typing"] is False and stopped["sender"]["id"] == asha["id"]
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 401
    status, body = await refused(client, asha, room["id"])
    assert status == 401 and body["code"] == "unauthorized"
    assert await silent(ws_r)
    await ws_r.close()


@pytest.mark.parametrize("mode, level", [("normal", 1), ("full", 2)])
async def test_chat_synchronous_reaches_sqlite(make_client, config, tmp_path, mode, level):
    cl = await make_client(config.replace(synchronous=mode, db=str(tmp_path / f"{mode}.db")))
    assert await cl.app[DB].fetchone("PRAGMA synchronous") == {"synchronous": level}
    assert await cl.app[DB].fetchone("PRAGMA journal_mode") == {"journal_mode": "wal"}


async def test_logout_during_handshakes_leaves_no_socket_open(make_client, config, tmp_path, register, make_room,
                                                              checkpoint):
    """One handshake is held after its token was accepted until the logout has answered, so it joins
    the room after the logout closed the token's sockets; a burst of others races the logout freely."""
    cl = await make_client(config.replace(max_sockets_per_user=0, max_sockets_per_ip=0,
                                          db=str(tmp_path / "race.db")))
    asha = await register("Asha", cl=cl)
    room = await make_room(asha, cl=cl)
    url = f"/ws/chat/{room['id']}/?token={asha.token}"
    accepted = checkpoint(cl.app[SESSIONS], "user_for_token", hold=True)
    straddler_in = accepted.arm(lambda user, token: user is not None and token == asha.token)
    straddler = asyncio.create_task(cl.ws_connect(url))
    assert (await asyncio.wait_for(straddler_in, 5))["id"] == asha["id"]  # token accepted, not yet in the room
    burst = [asyncio.create_task(cl.ws_connect(url)) for _ in range(15)]
    assert (await cl.post("/api/user/logout/", headers=asha.auth)).status == 200
    accepted.release.set()
    outcomes = []
    for ws in await asyncio.gather(straddler, *burst, return_exceptions=True):
        if isinstance(ws, aiohttp.WSServerHandshakeError):
            outcomes.append(ws.status)  # checked after the logout: refused
            continue
        assert not isinstance(ws, BaseException), repr(ws)
        assert await close_code(ws) == 4001, "a revoked token kept its socket"
        outcomes.append(4001)
    assert outcomes[0] == 4001  # the held handshake was upgraded after the logout, then closed
    assert set(outcomes) <= {401, 4001}
    await until_fewer(cl, "by_user", asha["id"], 1)
