"""Moderators delete any message (socket and REST), a ban may take the banned user's messages with it,
and in a read-only room only the owner and moderators post; every refusal changes nothing."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import aiohttp
import pytest

from chatserver.keys import DB, REGISTRY
from conftest import close_code, recv, recv_until, silent, until
from contract_support import server_frame

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def call(client, method, path, user, body=None):
    resp = await client.request(method, path, headers=user.auth, json=body)
    return resp.status, await resp.json()


@pytest.fixture
async def club(client, register, make_room, connect):
    """Asha owns the room, Mira moderates it, Ravi is a member; each with a socket open."""
    asha, mira, ravi = await register("Asha"), await register("Mira"), await register("Ravi")
    room = await make_room(asha, mira, ravi)
    assert (await call(client, "POST", f"/api/chat/groups/{room['id']}/moderators/", asha,
                       {"user_id": mira["id"]}))[0] == 200
    sockets = [await connect(user, room["id"]) for user in (asha, mira, ravi)]
    yield room, (asha, mira, ravi), sockets
    for ws in sockets:
        await ws.close()


async def said(ws, who_ws, text, **extra):
    """Send a message from who_ws; returns it as ws received it (the sender's own copy is read too)."""
    await who_ws.send_json({"message": text, **extra})
    await recv_until(who_ws, lambda f: f.get("message") == text)
    return await recv_until(ws, lambda f: f.get("message") == text)


def audit(db_rows, room_id):
    return db_rows("SELECT actor_id, action, target_id, message_id FROM audit WHERE room_id = ? AND action ="
                   " 'message_deleted' ORDER BY id", (room_id,))


async def test_a_moderator_deletes_anyones_message_and_the_frame_says_who(client, club, connect, db_rows):
    room, (asha, mira, ravi), (ws_a, ws_m, ws_r) = club
    rude = await said(ws_a, ws_r, "rude words")
    await ws_m.send_json({"action": "delete_message", "message_id": rude["id"]})
    deleted = await recv_until(ws_a, lambda f: f.get("action") == "deleted")
    assert (deleted["id"], deleted["deleted_by"], deleted["sender"]["id"]) == (rude["id"], {"id": mira["id"], "name": "Mira"},
                                                                               ravi["id"])
    own = await said(ws_a, ws_r, "my own")
    await ws_r.send_json({"action": "delete_message", "message_id": own["id"]})
    assert (await recv_until(ws_a, lambda f: f.get("action") == "deleted"))["deleted_by"]["id"] == ravi["id"]
    assert audit(db_rows, room["id"]) == [(mira["id"], "message_deleted", ravi["id"], rude["id"])]
    assert db_rows("SELECT deleted_by FROM messages ORDER BY id") == [(mira["id"],), (ravi["id"],)]
    replay = await connect(ravi, room["id"], f"&after_seq={rude['seq']}")
    await recv(replay)  # resumed
    assert (await recv(replay))["deleted_by"] == {"id": mira["id"], "name": "Mira"}
    await replay.close()


async def test_a_member_deletes_only_their_own(client, club, db_rows):
    room, (asha, mira, ravi), (ws_a, ws_m, ws_r) = club
    hers = await said(ws_r, ws_m, "from the moderator")
    await ws_r.send_json({"action": "delete_message", "message_id": hers["id"]})
    assert (await recv(ws_r))["code"] == "forbidden"
    status, data = await call(client, "DELETE", f"/api/chat/groups/{room['id']}/messages/{hers['id']}/", ravi)
    assert (status, data["code"]) == (403, "forbidden")
    assert db_rows("SELECT is_deleted FROM messages") == [(0,)]


async def test_rest_deletion_by_the_owner_a_site_admin_and_the_sender(client, club, make_admin, db_rows):
    room, (asha, mira, ravi), (ws_a, ws_m, ws_r) = club
    first, second, third = [await said(ws_a, ws_r, text) for text in ("one", "two", "three")]
    admin = await make_admin()  # not a member of the room
    path = f"/api/chat/groups/{room['id']}/messages/"
    for who, message in ((asha, first), (admin, second), (ravi, third)):
        status, data = await call(client, "DELETE", f"{path}{message['id']}/", who)
        assert (status, data["id"]) == (200, message["id"]), data
        frame = await recv_until(ws_m, lambda f: f.get("action") == "deleted")
        assert frame["deleted_by"]["id"] == who["id"] and frame["seq"] == data["seq"]
    status, data = await call(client, "DELETE", f"{path}{first['id']}/", asha)
    assert (status, data["code"]) == (400, "deleted")
    assert (await call(client, "DELETE", f"{path}999999/", asha))[0] == 404
    assert [row[0] for row in audit(db_rows, room["id"])] == [asha["id"], admin["id"]]


async def test_a_ban_can_delete_the_banned_users_messages(client, club, config, db_rows):
    room, (asha, mira, ravi), (ws_a, ws_m, ws_r) = club
    texts = [await said(ws_a, ws_r, f"spam {n}") for n in range(3)]
    form = aiohttp.FormData()
    form.add_field("attachment", PNG, filename="spam.png", content_type="image/png")
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form, headers=ravi.auth)
    assert resp.status == 201
    picture = await resp.json()
    stored = db_rows("SELECT attachment FROM messages WHERE id = ?", (picture["id"],))[0][0]
    assert os.path.exists(os.path.join(config.media_dir, stored))
    kept = await said(ws_a, ws_m, "the moderator stays")
    status, data = await call(client, "POST", f"/api/chat/groups/{room['id']}/bans/", mira,
                              {"user_id": ravi["id"], "delete_messages": True})
    assert (status, data["deleted_messages"]) == (201, 4)
    assert await close_code(ws_r) == 4003
    frames = [await recv_until(ws_a, lambda f: f.get("action") == "deleted") for _ in range(4)]
    assert sorted(f["id"] for f in frames) == sorted([m["id"] for m in texts] + [picture["id"]])
    assert {f["deleted_by"]["id"] for f in frames} == {mira["id"]}
    assert not os.path.exists(os.path.join(config.media_dir, stored))
    assert db_rows("SELECT id FROM messages WHERE is_deleted = 0") == [(kept["id"],)]
    assert len(audit(db_rows, room["id"])) == 4


async def test_in_a_read_only_room_members_read_and_react_but_do_not_post(client, club, db_rows):
    room, (asha, mira, ravi), (ws_a, ws_m, ws_r) = club
    before = await said(ws_a, ws_r, "said before")
    assert (await call(client, "PATCH", f"/api/chat/edit-group/{room['id']}/", asha, {"read_only": True}))[0] == 200
    refused = [{"message": "may I?", "client_id": "c1"},
               {"message": "a reply", "parent_message": before["id"]},
               {"action": "edit_message", "message_id": before["id"], "new_content": "changed"}]
    for frame in refused:
        await ws_r.send_json(frame)
        error = await recv(ws_r)
        assert (server_frame(error), error["code"]) == ("error", "read_only"), error
    assert error["error"] == "This room is read-only: only its owner and moderators post here."
    form = aiohttp.FormData()
    form.add_field("attachment", PNG, filename="dot.png", content_type="image/png")
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form, headers=ravi.auth)
    assert (resp.status, (await resp.json())["code"]) == (403, "read_only")
    await ws_r.send_json({"action": "react_message", "message_id": before["id"], "reaction": "Like"})
    assert (await recv_until(ws_a, lambda f: f.get("action") == "reacted"))["reactions"] == {"Like": 1}
    for ws, text in ((ws_m, "from the moderator"), (ws_a, "from the owner")):
        await said(ws_r, ws, text)
    assert [row[0] for row in db_rows("SELECT content FROM messages ORDER BY id")] == [
        "said before", "from the moderator", "from the owner"]
    assert await silent(ws_r)
    assert (await call(client, "PATCH", f"/api/chat/edit-group/{room['id']}/", asha, {"read_only": False}))[0] == 200
    assert (await said(ws_a, ws_r, "free again"))["sender"]["id"] == ravi["id"]


async def test_a_send_queued_before_the_room_turned_read_only_and_written_after_is_refused(
        make_client, config, tmp_path, register, make_room):
    config = config.replace(db=str(tmp_path / "queued.db"), busy_timeout=10.0)
    cl = await make_client(config)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    ws_r = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    [ravi_peer] = [p for p in cl.app[REGISTRY].rooms[room["id"]] if p.user["id"] == ravi["id"]]
    other = sqlite3.connect(config.db, isolation_level=None)  # holds every write of the server back
    other.execute("BEGIN EXCLUSIVE")
    try:
        switch = cl.patch(f"/api/chat/edit-group/{room['id']}/", json={"read_only": True}, headers=asha.auth)
        switching = asyncio.ensure_future(switch)
        await until(lambda: cl.app[DB].writes_pending > 0)  # the switch waits for the file
        await ws_r.send_json({"message": "sent before the switch was written", "client_id": "late"})
        await until(lambda: ravi_peer.frames_in > 0)  # received, so queued behind the switch
    finally:
        other.rollback()
        other.close()
    assert (await switching).status == 200
    error = await recv(ws_r)
    assert (error["code"], error["client_id"]) == ("read_only", "late")
    history = await (await cl.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert history == []
    await ws_r.close()
