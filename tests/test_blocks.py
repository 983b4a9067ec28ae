"""Blocks: a user's own list, and a block either way keeps two users' direct room from being opened."""

from __future__ import annotations

import os

from chatserver.keys import CONFIG
from chatserver.storage import direct, members
from admin_support import createuser
from conftest import recv_until
from contract_support import check, frame_schema
from direct_support import open_direct
from upload_support import PNG, form


async def block(client, user, other_id: int):
    return await client.post("/api/user/blocks/", json={"user_id": other_id}, headers=user.auth)


async def test_a_user_blocks_lists_and_unblocks(client, register, db_rows):
    asha, ravi, mina = await register("Asha"), await register("Ravi", last_name="Nair"), await register("Mina")
    assert await (await client.get("/api/user/blocks/", headers=asha.auth)).json() == []
    first = await block(client, asha, ravi["id"])
    assert first.status == 201 and (await first.json())["message"] == "User blocked."
    again = await block(client, asha, ravi["id"])
    assert again.status == 200
    assert (await block(client, asha, mina["id"])).status == 201
    listed = await (await client.get("/api/user/blocks/", headers=asha.auth)).json()
    assert [b["user"] for b in listed] == [
        {"id": ravi["id"], "first_name": "Ravi", "last_name": "Nair", "photo": None},
        {"id": mina["id"], "first_name": "Mina", "last_name": "", "photo": None}]
    assert await (await client.get("/api/user/blocks/", headers=ravi.auth)).json() == []  # who blocks you is not told
    gone = await client.delete(f"/api/user/blocks/{ravi['id']}/", headers=asha.auth)
    assert gone.status == 200
    assert (await client.delete(f"/api/user/blocks/{ravi['id']}/", headers=asha.auth)).status == 404
    assert (await client.delete(f"/api/user/blocks/{asha['id']}/", headers=mina.auth)).status == 404
    assert db_rows("SELECT user_id, blocked_id FROM blocks") == [(asha["id"], mina["id"])]


async def test_no_block_of_yourself_or_of_nobody(client, register, db_rows):
    asha = await register("Asha")
    for other_id in (asha["id"], 999999):
        resp = await block(client, asha, other_id)
        assert resp.status == 400 and "user_id" in await resp.json()
    assert (await client.post("/api/user/blocks/", json={"user_id": "2"}, headers=asha.auth)).status == 400
    assert (await client.get("/api/user/blocks/")).status == 401
    assert db_rows("SELECT count(*) FROM blocks") == [(0,)]


async def test_a_block_either_way_keeps_the_direct_room_from_being_opened(client, register, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    await block(client, asha, ravi["id"])
    for user, other in ((asha, ravi), (ravi, asha)):
        resp = await open_direct(client, user, other["id"])
        assert resp.status == 403 and (await resp.json())["code"] == "blocked"
    assert db_rows("SELECT count(*) FROM rooms") == [(0,)]
    await client.delete(f"/api/user/blocks/{ravi['id']}/", headers=asha.auth)
    opened = await open_direct(client, ravi, asha["id"])
    assert opened.status == 201
    room_id = (await opened.json())["room"]["id"]

    await block(client, ravi, asha["id"])
    for user, other in ((asha, ravi), (ravi, asha)):
        assert (await open_direct(client, user, other["id"])).status == 403
    # Blocking closes nothing: the room stays listed and its history readable for both.
    for user in (asha, ravi):
        mine = await (await client.get("/api/chat/groups/", headers=user.auth)).json()
        assert [r["id"] for r in mine] == [room_id]
        assert (await client.get(f"/api/chat/groups/{room_id}/messages/", headers=user.auth)).status == 200


async def test_the_admin_command_adds_nobody_to_a_direct_room(cli, db):
    asha = await createuser(cli, "asha@example.org")
    ravi = await createuser(cli, "ravi@example.org")
    await createuser(cli, "mina@example.org")
    room_id, created = await direct.open_room(db, asha, ravi, "Asha & Ravi")
    assert created
    code, _, err = await cli("addmember", "--room", str(room_id), "--email", "mina@example.org")
    assert code == 2 and "direct room" in err
    assert {m["id"] for m in await members.members(db, room_id)} == {asha, ravi}


async def test_while_a_block_stands_nobody_writes_to_the_direct_room(client, register, connect, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    room_id = (await (await open_direct(client, asha, ravi["id"])).json())["room"]["id"]
    mine, theirs = await connect(asha, room_id), await connect(ravi, room_id)
    await mine.send_json({"action": "send_message", "message": "before", "client_id": "b1"})
    before = await recv_until(theirs, lambda f: f.get("message") == "before")
    await recv_until(mine, lambda f: f.get("client_id") == "b1")

    await block(client, ravi, asha["id"])  # the sockets stay open: the block is checked as each change is written
    for ws, user in ((mine, asha), (theirs, ravi)):
        for frame in ({"action": "send_message", "message": "after", "client_id": "a1"},
                      {"action": "edit_message", "message_id": before["id"], "new_content": "changed"},
                      {"action": "react_message", "message_id": before["id"], "reaction": "Like"}):
            await ws.send_json(frame)
            refused = await recv_until(ws, lambda f: f.get("action") == "error")
            assert refused["code"] == "blocked", (user["first_name"], frame, refused)
            check(frame_schema("server", "error"), refused)
        resp = await client.post(f"/api/chat/groups/{room_id}/messages/upload/", headers=user.auth,
                                 data=form(PNG, "a.png", "image/png"))
        assert resp.status == 403 and (await resp.json())["code"] == "blocked"
    await mine.send_json({"action": "send_message", "message": "before", "client_id": "b1"})  # a retry is answered
    assert (await recv_until(mine, lambda f: f.get("client_id") == "b1"))["id"] == before["id"]
    assert db_rows("SELECT id, content, is_edited FROM messages") == [(before["id"], "before", 0)]
    assert db_rows("SELECT count(*) FROM reactions") == [(0,)]
    assert db_rows("SELECT seq FROM events") == [(1,)]
    assert os.listdir(client.app[CONFIG].media_dir) == []

    await mine.send_json({"action": "delete_message", "message_id": before["id"]})  # one's own words may still go
    await recv_until(theirs, lambda f: f.get("action") == "deleted")
    await client.delete(f"/api/user/blocks/{asha['id']}/", headers=ravi.auth)
    await mine.send_json({"action": "send_message", "message": "friends again", "client_id": "f1"})
    await recv_until(theirs, lambda f: f.get("message") == "friends again")
    await mine.close()
    await theirs.close()


async def test_a_block_stops_only_the_direct_room(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    group = await make_room(asha, ravi)
    await block(client, ravi, asha["id"])
    mine, theirs = await connect(asha, group["id"]), await connect(ravi, group["id"])
    await mine.send_json({"action": "send_message", "message": "to the club", "client_id": "g1"})
    assert (await recv_until(theirs, lambda f: "message" in f))["message"] == "to the club"
    await mine.close()
    await theirs.close()
