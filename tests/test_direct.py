"""Direct rooms: the one room of two users, found or created, private to them, and not governed by an owner."""

from __future__ import annotations

import asyncio

from conftest import recv, recv_until
from direct_support import open_direct
from upload_support import PNG, form


async def test_the_first_call_creates_the_room_and_later_calls_of_either_user_find_it(client, register, db_rows):
    asha, ravi = await register("Asha", last_name="Rao"), await register("Ravi", last_name="Nair")
    await client.patch("/api/user/me/", json={"photo": "https://img.example/ravi.png"}, headers=ravi.auth)
    first = await open_direct(client, asha, ravi["id"])
    assert first.status == 201, await first.text()
    room = (await first.json())["room"]
    assert room["kind"] == "direct" and room["members_count"] == 2
    assert room["name"] == "Ravi Nair" and room["room_avatar"] == "https://img.example/ravi.png"
    assert room["direct_user"] == {"id": ravi["id"], "first_name": "Ravi", "last_name": "Nair",
                                   "photo": "https://img.example/ravi.png"}
    again = await open_direct(client, asha, ravi["id"])
    assert again.status == 200 and (await again.json())["room"]["id"] == room["id"]
    theirs = await open_direct(client, ravi, asha["id"])
    assert theirs.status == 200
    seen = (await theirs.json())["room"]
    assert (seen["id"], seen["name"], seen["direct_user"]["id"]) == (room["id"], "Asha Rao", asha["id"])
    assert db_rows("SELECT kind, direct_key FROM rooms") == [("direct", f"{asha['id']}:{ravi['id']}")]
    assert sorted(db_rows("SELECT user_id FROM members WHERE room_id = ?", (room["id"],))) == [
        (asha["id"],), (ravi["id"],)]


async def test_calls_at_the_same_moment_make_one_room(client, register, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    answers = await asyncio.gather(*[open_direct(client, user, other["id"])
                                     for _ in range(6) for user, other in ((asha, ravi), (ravi, asha))])
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] * 11 + [201]
    assert len({(await answer.json())["room"]["id"] for answer in answers}) == 1
    assert db_rows("SELECT count(*) FROM rooms WHERE kind = 'direct'") == [(1,)]


async def test_no_direct_room_with_yourself_or_with_nobody(client, register, db_rows):
    asha = await register("Asha")
    for other_id, field in ((asha["id"], "user_id"), (999999, "user_id")):
        resp = await open_direct(client, asha, other_id)
        assert resp.status == 400
        assert field in await resp.json()
    resp = await client.post("/api/chat/direct/", json={}, headers=asha.auth)
    assert resp.status == 400
    assert db_rows("SELECT count(*) FROM rooms") == [(0,)]


async def test_direct_rooms_are_in_their_members_lists_and_nowhere_else(client, register, make_room):
    asha, ravi, mina = await register("Asha"), await register("Ravi"), await register("Mina")
    group = await make_room(asha, name="Committee")
    room = (await (await open_direct(client, asha, ravi["id"])).json())["room"]
    for user in (asha, mina):
        listed = await (await client.get("/api/chat/groups/list/", headers=user.auth)).json()
        assert [r["id"] for r in listed] == [group["id"]]
        found = await (await client.get("/api/chat/groups/search/?q=", headers=user.auth)).json()
        assert [r["id"] for r in found] == [group["id"]]
    mine = await (await client.get("/api/chat/groups/", headers=asha.auth)).json()
    assert [(r["id"], r["kind"], r["name"]) for r in mine] == [
        (group["id"], "public", "Committee"), (room["id"], "direct", "Ravi")]
    assert mine[0]["direct_user"] is None and mine[1]["direct_user"]["id"] == ravi["id"]
    theirs = await (await client.get("/api/chat/groups/", headers=ravi.auth)).json()
    assert [(r["id"], r["name"]) for r in theirs] == [(room["id"], "Asha")]


async def test_nobody_governs_a_direct_room(client, register, make_admin, db_rows):
    asha, ravi, mina, root = await register("Asha"), await register("Ravi"), await register("Mina"), await make_admin()
    room_id = (await (await open_direct(client, asha, ravi["id"])).json())["room"]["id"]
    attempts = [
        ("PATCH", f"/api/chat/edit-group/{room_id}/", {"name": "Ours"}),
        ("PUT", f"/api/chat/edit-group/{room_id}/", {"name": "Ours"}),
        ("DELETE", f"/api/chat/delete-group/{room_id}/", None),
        ("POST", f"/api/chat/group/{room_id}/transfer-ownership/", {"new_owner_id": ravi["id"]}),
        ("POST", f"/api/chat/groups/{room_id}/members/", {"user_id": mina["id"]}),
        ("DELETE", f"/api/chat/groups/{room_id}/members/{ravi['id']}/", None),
        ("POST", f"/api/chat/group/{room_id}/remove-yourself/", None),
        ("POST", f"/api/chat/group/{room_id}/add-yourself/", None)]
    for user in (asha, ravi, root):
        for method, url, data in attempts:
            resp = await client.request(method, url, json=data, headers=user.auth)
            assert resp.status == 403, (user["first_name"], method, url)
            assert (await resp.json())["code"] == "direct_room"
    assert db_rows("SELECT name, owner_id FROM rooms") == [("Asha & Ravi", asha["id"])]
    assert sorted(db_rows("SELECT user_id FROM members")) == [(asha["id"],), (ravi["id"],)]


async def test_to_anyone_else_a_direct_room_does_not_exist(client, register, connect):
    asha, ravi, mina = await register("Asha"), await register("Ravi"), await register("Mina")
    room_id = (await (await open_direct(client, asha, ravi["id"])).json())["room"]["id"]
    for method, url in (("POST", f"/api/chat/group/{room_id}/add-yourself/"),
                        ("GET", f"/api/chat/groups/{room_id}/members/"),
                        ("GET", f"/api/chat/groups/{room_id}/messages/"),
                        ("GET", f"/api/chat/groups/{room_id}/events/"),
                        ("POST", f"/api/chat/groups/{room_id}/mark-as-read/"),
                        ("POST", f"/api/chat/groups/{room_id}/messages/upload/")):
        resp = await client.request(method, url, headers=mina.auth)
        assert resp.status == 404, (method, url)
    resp = await client.get(f"/ws/chat/{room_id}/?token={mina.token}")
    assert resp.status == 404


async def test_a_direct_room_carries_messages_like_any_room(client, register, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room_id = (await (await open_direct(client, asha, ravi["id"])).json())["room"]["id"]
    theirs = await connect(ravi, room_id)
    mine = await connect(asha, room_id)
    await mine.send_json({"action": "send_message", "message": "hello", "client_id": "c1"})
    sent = await recv_until(theirs, lambda f: f.get("message") == "hello")
    assert sent["room"] == room_id and sent["seq"] == 1
    await recv_until(mine, lambda f: f.get("client_id") == "c1")
    await mine.send_json({"action": "edit_message", "message_id": sent["id"], "new_content": "hi"})
    await recv_until(theirs, lambda f: f.get("action") == "edited")
    await theirs.send_json({"action": "react_message", "message_id": sent["id"], "reaction": "Like"})
    await recv_until(mine, lambda f: f.get("action") == "reacted")
    resp = await client.post(f"/api/chat/groups/{room_id}/messages/upload/", headers=ravi.auth,
                             data=form(PNG, "a.png", "image/png", content="look"))
    assert resp.status == 201, await resp.text()
    upload = await recv_until(mine, lambda f: f.get("message_type") == "image")
    history = await (await client.get(f"/api/chat/groups/{room_id}/messages/", headers=asha.auth)).json()
    assert [(m["id"], m["content"]) for m in history] == [(upload["id"], "look"), (sent["id"], "hi")]
    await mine.close()
    resumed = await connect(asha, room_id, "&after_seq=1")
    assert (await recv(resumed))["action"] == "resumed"
    assert [(await recv(resumed)).get("action", "message") for _ in range(3)] == ["edited", "reacted", "message"]
    await resumed.close()
    await theirs.close()


async def test_a_direct_room_counts_towards_the_rooms_a_user_may_be_in(make_client, config, register, make_room, tmp_path):
    client = await make_client(config.replace(max_rooms_per_user=1, db=str(tmp_path / "one.db")))
    asha, ravi, mina = [await register(name, cl=client) for name in ("Asha", "Ravi", "Mina")]
    await make_room(mina, name="Full house", cl=client)
    resp = await open_direct(client, asha, mina["id"])
    assert resp.status == 400 and "user_id" in await resp.json()
    opened = await open_direct(client, asha, ravi["id"])
    assert opened.status == 201
    assert (await open_direct(client, ravi, asha["id"])).status == 200  # found again: no room more
