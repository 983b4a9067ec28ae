"""Connecting to a room: who is let in, and when sockets are closed."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from chatserver.keys import METRICS, REGISTRY
from chatserver.fanout.peer import CLOSE_TIMEOUT
from conftest import UPGRADE, recv, until
from crash_support import RawSocket


@pytest.fixture
def config(config):
    """No error-frame budget: a test here fills a socket's buffer with thousands of error frames."""
    return config.replace(error_rate=0)


async def test_member_connects_with_query_token(register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await connect(asha, room["id"])
    assert not ws.closed
    await ws.close()


async def test_authorization_header_is_accepted(client, register, make_room):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await client.ws_connect(f"/ws/chat/{room['id']}/", headers=asha.auth)
    await ws.send_json({"message": "hi"})
    assert (await recv(ws))["message"] == "hi"
    await ws.close()


@pytest.mark.parametrize("query, status", [("", 401), ("?token=", 401), ("?token=" + "0" * 40, 401)])
async def test_handshake_without_valid_token_is_refused(client, register, make_room, query, status):
    room = await make_room(await register("Asha"))
    resp = await client.get(f"/ws/chat/{room['id']}/{query}", headers=UPGRADE)
    assert resp.status == status
    assert "detail" in await resp.json()


async def test_unknown_room_is_404_and_non_member_403(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha)
    for room_id, status in ((room["id"] + 100, 404), (room["id"], 403)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await connect(ravi, room_id)
        assert err.value.status == status
    resp = await client.get(f"/ws/chat/{room['id']}/?token={ravi.token}")
    assert resp.status == 403 and (await resp.json())["code"] == "forbidden"


async def test_foreign_origin_is_refused_and_own_origin_passes(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await connect(asha, room["id"], headers={"Origin": "https://evil.example"})
    assert err.value.status == 403
    own = f"http://{client.host}:{client.port}"
    ws = await connect(asha, room["id"], headers={"Origin": own})
    await ws.close()


async def test_leaving_closes_the_socket_with_4003(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await connect(ravi, room["id"])
    resp = await client.post(f"/api/chat/group/{room['id']}/remove-yourself/", headers=ravi.auth)
    assert resp.status == 200
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4003


async def test_removed_member_socket_closes_with_4003_others_stay(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws_ravi, ws_asha = await connect(ravi, room["id"]), await connect(asha, room["id"])
    resp = await client.delete(f"/api/chat/groups/{room['id']}/members/{ravi['id']}/", headers=asha.auth)
    assert resp.status == 200
    assert (await ws_ravi.receive(timeout=3)).data == 4003
    await ws_asha.send_json({"message": "still here"})
    assert (await recv(ws_asha))["message"] == "still here"
    await ws_asha.close()


async def test_deleting_the_room_closes_every_socket_with_4004(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    sockets = [await connect(asha, room["id"]), await connect(ravi, room["id"])]
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert resp.status == 200
    for ws in sockets:
        assert (await ws.receive(timeout=3)).data == 4004


async def test_logout_closes_sockets_opened_with_that_token_only(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    login = await client.post("/api/user/login/", json={"email": asha["email"], "password": asha["password"]})
    other_token = (await login.json())["token"]
    ws_revoked = await connect(asha, room["id"])
    ws_other = await client.ws_connect(f"/ws/chat/{room['id']}/?token={other_token}")
    resp = await client.post("/api/user/logout/", headers=asha.auth)
    assert resp.status == 200
    assert (await ws_revoked.receive(timeout=3)).data == 4001
    await ws_other.send_json({"message": "other device"})
    assert (await recv(ws_other))["message"] == "other device"
    await ws_other.close()


async def test_oversize_frame_closes_with_1009(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await connect(asha, room["id"])
    await ws.send_str('{"message": "' + "x" * (64 * 1024 + 10) + '"}')
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009


async def test_a_client_still_sending_when_closed_gets_the_close_frame_not_a_reset(client, register, make_room,
                                                                                   socket_ends):
    """The server reads what the client sends until the client's close reply.

    A connection dropped right after the close frame, with the client's frames still
    arriving, is reset; the reset discards what the server had not yet delivered, the close
    frame included. Here the client reads slowly (a small receive buffer, reading paused)
    and keeps sending across the close.
    """
    asha = await register("Asha")
    room = await make_room(asha)
    frames: list[dict] = []
    sock = await RawSocket.open(str(client.make_url(f"/ws/chat/{room['id']}/?token={asha.token}")),
                                frames.append, rcvbuf=4096)
    sock.transport.pause_reading()
    for _ in range(2000):  # each one answered with an error frame the client is not reading yet
        assert sock.send({"action": "no_such_action"})
    metrics, (peer,) = client.app[METRICS], client.app[REGISTRY].rooms[room["id"]]
    await until(lambda: metrics.value("chat_errors_total", 'code="unknown_action"') == 2000)
    assert (await client.post("/api/user/logout/", headers=asha.auth)).status == 200  # closes with 4001
    await until(lambda: peer.ws.closed)  # the server has sent its close frame
    for _ in range(50):  # still sending: it has not read the close frame
        sock.send({"action": "no_such_action"})
    await until(lambda: sock.transport.get_write_buffer_size() == 0)
    sock.transport.resume_reading()
    assert await asyncio.wait_for(sock.ended, 5) is None  # a clean end, not ECONNRESET
    assert sock.close_code == 4001
    assert [f["code"] for f in frames] == ["unknown_action"] * 2000
    ended, = await socket_ends.wait()
    assert "code=4001" in ended  # the server read up to the client's close reply (it echoes the code)


async def test_shutdown_closes_sockets_with_1001(make_client, config, tmp_path, register, make_room, socket_ends):
    """The client answers the close frame while the server stops; the server's handler ends with it, not at 5 s."""
    cl = await make_client(config.replace(db=str(tmp_path / "own.db")))
    asha = await register("Asha", cl=cl)
    room = await make_room(asha, cl=cl)
    ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    stopping = asyncio.create_task(cl.server.close())
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
    await stopping
    ended, = await socket_ends.wait()
    assert f"room={room['id']}" in ended
    assert socket_ends.seconds(ended) < CLOSE_TIMEOUT / 2  # ended as the client answered and hung up
