"""A user's stream (`/ws/user/`): activity in the user's rooms, changes to those rooms, read marks."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from chatserver.fanout.peer import CLOSE_TIMEOUT
from conftest import UPGRADE, recv, recv_until, silent
from contract_support import server_frame
from upload_support import form


@pytest.fixture
def config(config):
    """Every event told on its own (CHAT_ACTIVITY_INTERVAL=0), unless a test says otherwise."""
    return config.replace(activity_interval=0)


async def told(stream, timeout: float = 3.0) -> dict:
    """The stream's next frame, checked against the schema its action names."""
    frame = await recv(stream, timeout)
    server_frame(frame)
    return frame


async def open_stream(client, user, **kw):
    return await client.ws_connect(f"/ws/user/?token={user.token}", **kw)


async def test_the_stream_tells_every_event_in_my_rooms_and_nothing_of_others(client, register, make_room, connect):
    asha, ravi, chen = await register("Asha"), await register("Ravi"), await register("Chen")
    ours, theirs = await make_room(asha, ravi), await make_room(asha, chen)
    stream = await open_stream(client, ravi)
    ws_a, ws_t = await connect(asha, ours["id"]), await connect(chen, theirs["id"])

    await ws_t.send_json({"message": "not for Ravi"})
    await ws_a.send_json({"message": "hello Ravi"})
    created = await told(stream)
    assert created == {"action": "room_activity", "room_id": ours["id"], "seq": 1, "event": "created",
                       "sender_id": asha["id"]}
    message = await recv(ws_a)
    for frame, event in (({"action": "edit_message", "message_id": message["id"], "new_content": "hi"}, "edited"),
                         ({"action": "react_message", "message_id": message["id"], "reaction": "Like"}, "reacted"),
                         ({"action": "delete_message", "message_id": message["id"]}, "deleted")):
        await ws_a.send_json(frame)
        assert await told(stream) == {"action": "room_activity", "room_id": ours["id"], "seq": created["seq"] + 1,
                                      "event": event, "sender_id": asha["id"]}
        created["seq"] += 1
    upload = await client.post(f"/api/chat/groups/{ours['id']}/messages/upload/", headers=ravi.auth,
                               data=form(b"minutes", "notes.txt", "text/plain"))
    assert upload.status == 201
    assert (await told(stream))["sender_id"] == ravi["id"]  # my own too: my other devices refresh
    assert await silent(stream)  # and nothing of the room Ravi is not in
    await ws_a.send_json({"action": "typing"})
    assert await silent(stream)  # typing is not stored: not activity
    for ws in (stream, ws_a, ws_t):
        await ws.close()


async def test_the_stream_follows_my_rooms_as_they_change(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    stream = await open_stream(client, ravi)
    room = await make_room(asha, ravi)  # Asha creates a room with Ravi in it
    assert await told(stream) == {"action": "rooms_changed"}
    ws_a = await connect(asha, room["id"])
    await ws_a.send_json({"message": "welcome"})
    assert (await told(stream))["room_id"] == room["id"]

    removed = await client.delete(f"/api/chat/groups/{room['id']}/members/{ravi['id']}/", headers=asha.auth)
    assert removed.status == 200
    assert await told(stream) == {"action": "rooms_changed"}
    await ws_a.send_json({"message": "after Ravi left"})
    await recv_until(ws_a, lambda f: f.get("message") == "after Ravi left")
    assert await silent(stream)  # no longer his room

    added = await client.post(f"/api/chat/groups/{room['id']}/members/", json={"user_id": ravi["id"]},
                              headers=asha.auth)
    assert added.status == 201
    assert await told(stream) == {"action": "rooms_changed"}
    renamed = await client.patch(f"/api/chat/edit-group/{room['id']}/", json={"name": "renamed"}, headers=asha.auth)
    assert renamed.status == 200
    assert await told(stream) == {"action": "rooms_changed"}
    left = await client.post(f"/api/chat/group/{room['id']}/remove-yourself/", headers=ravi.auth)
    assert left.status == 200
    assert await told(stream) == {"action": "rooms_changed"}
    joined = await client.post(f"/api/chat/group/{room['id']}/add-yourself/", headers=ravi.auth)
    assert joined.status == 200
    assert await told(stream) == {"action": "rooms_changed"}
    deleted = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert deleted.status == 200
    assert await told(stream) == {"action": "rooms_changed"}
    assert await silent(stream)
    await stream.close()
    await ws_a.close()


async def test_marking_a_room_read_tells_every_stream_of_mine_only(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    laptop, phone, hers = await open_stream(client, ravi), await open_stream(client, ravi), await open_stream(client, asha)
    metrics = await (await client.get("/metrics")).text()
    assert "\nchat_user_streams 3\n" in metrics and "\nchat_open_sockets 3\n" in metrics
    resp = await client.post(f"/api/chat/groups/{room['id']}/mark-as-read/", headers=ravi.auth)
    assert resp.status == 200
    for stream in (laptop, phone):
        assert await told(stream) == {"action": "room_read", "room_id": room["id"]}
    assert await silent(hers)
    for ws in (laptop, phone, hers):
        await ws.close()


async def test_the_stream_takes_no_actions_and_closes_like_a_room_socket(make_client, config, tmp_path, register):
    cl = await make_client(config.replace(db=str(tmp_path / "own.db"), max_sockets_per_user=2))
    asha = await register("Asha", cl=cl)
    for query in ("", "?token=" + "0" * 40):
        resp = await cl.get(f"/ws/user/{query}", headers=UPGRADE)
        assert resp.status == 401 and (await resp.json())["code"] == "unauthorized"
    stream = await open_stream(cl, asha)
    await stream.send_json({"message": "hello?"})
    error = await told(stream)
    assert error["action"] == "error" and error["code"] == "unsupported"
    await stream.send_bytes(b"\x00")
    assert (await told(stream))["code"] == "unsupported"
    second = await open_stream(cl, asha)
    resp = await cl.get(f"/ws/user/?token={asha.token}", headers=UPGRADE)
    assert resp.status == 429  # streams count toward CHAT_MAX_SOCKETS_PER_USER
    assert (await cl.post("/api/user/logout/", headers=asha.auth)).status == 200
    for ws in (stream, second):
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001


async def test_shutdown_closes_streams_with_1001(make_client, config, tmp_path, register, socket_ends):
    """The client answers the close frame while the server stops; the server's handler ends with it, not at 5 s."""
    cl = await make_client(config.replace(db=str(tmp_path / "own.db")))
    stream = await open_stream(cl, await register("Asha", cl=cl))
    stopping = asyncio.create_task(cl.server.close())
    msg = await stream.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1001
    await stopping
    ended, = await socket_ends.wait()
    assert "ws close stream" in ended
    assert socket_ends.seconds(ended) < CLOSE_TIMEOUT / 2  # ended as the client answered and hung up


async def test_a_busy_room_is_told_once_per_interval_with_its_newest_seq(make_client, config, tmp_path,
                                                                         register, make_room, connect):
    interval = 1.0
    cl = await make_client(config.replace(db=str(tmp_path / "own.db"), activity_interval=interval, rate_limit=0))
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    stream, ws_a = await open_stream(cl, ravi), await connect(asha, room["id"], cl=cl)
    for n in range(30):
        await ws_a.send_json({"message": f"burst {n}"})
    await recv_until(ws_a, lambda f: f.get("message") == "burst 29")
    seqs = [(await told(stream))["seq"]]
    while seqs[-1] < 30:
        seqs.append((await told(stream, timeout=interval * 3))["seq"])
    assert seqs[0] == 1 and seqs == sorted(seqs) and len(seqs) <= 4  # not 30 frames
    assert await silent(stream, interval * 1.2)  # nothing left over

    sent = time.monotonic()
    await ws_a.send_json({"message": "after a quiet spell"})
    assert (await told(stream))["seq"] == 31
    assert time.monotonic() - sent < interval / 2  # told at once, not at the end of an interval
    await asyncio.gather(stream.close(), ws_a.close())
