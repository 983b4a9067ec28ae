"""Blocks: a user's own list, and a block either way keeps two users' direct room from being opened."""

from __future__ import annotations

from chatserver.storage import direct, rooms
from test_admin import _user, cli, db  # noqa: F401 (fixtures)
from test_direct import open_direct


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


async def test_the_admin_command_adds_nobody_to_a_direct_room(cli, db):  # noqa: F811
    asha = await _user(cli, "asha@example.org")
    ravi = await _user(cli, "ravi@example.org")
    await _user(cli, "mina@example.org")
    room_id, created = await direct.open_room(db, asha, ravi, "Asha & Ravi")
    assert created
    code, _, err = await cli("addmember", "--room", str(room_id), "--email", "mina@example.org")
    assert code == 2 and "direct room" in err
    assert {m["id"] for m in await rooms.members(db, room_id)} == {asha, ravi}
