"""Rooms and membership over REST, with their permission rules."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from chatserver.keys import DB
from chatserver.storage import rooms as room_store

from conftest import recv_until

ROOM_KEYS = {"id", "name", "description", "room_avatar", "is_active", "kind", "read_only", "members_may_pin",
             "members_count", "created_by", "created_at", "updated_at", "direct_user"}


async def get(client, path, user):
    resp = await client.get(path, headers=user.auth)
    return resp.status, await resp.json()


async def post(client, path, user, body=None):
    resp = await client.post(path, headers=user.auth, json=body)
    return resp.status, await resp.json()


async def member_ids(client, room_id, user):
    status, members = await get(client, f"/api/chat/groups/{room_id}/members/", user)
    assert status == 200, members
    return sorted(m["id"] for m in members)


async def send(connect, user, room_id, text):
    """Send a message over a real socket and wait until it is stored and echoed."""
    ws = await connect(user, room_id)
    await ws.send_json({"action": "send_message", "message": text})
    frame = await recv_until(ws, lambda f: f.get("message") == text)
    await ws.close()
    return frame


# Creating and listing

async def test_create_group_makes_the_creator_owner_and_member(client, register):
    asha, ravi = await register("Asha", last_name="Rao"), await register("Ravi")
    status, data = await post(client, "/api/chat/create-group/", asha,
                              {"name": " general ", "description": "All of us", "members": [ravi["id"]]})
    assert status == 201
    assert data["message"] == "Room created successfully."
    room = data["room"]
    assert set(room) == ROOM_KEYS
    assert (room["name"], room["description"], room["room_avatar"], room["is_active"], room["members_count"]) \
        == ("general", "All of us", None, True, 2)
    assert room["created_by"] == {"id": asha["id"], "first_name": "Asha", "last_name": "Rao"}
    assert room["created_at"].endswith("+00:00") and room["updated_at"].endswith("+00:00")
    assert await member_ids(client, room["id"], ravi) == sorted([asha["id"], ravi["id"]])


async def test_create_group_with_unknown_member_is_a_field_error(client, register, db_rows):
    asha = await register("Asha")
    status, data = await post(client, "/api/chat/create-group/", asha,
                              {"name": "x", "members": [asha["id"], 9999]})
    assert status == 400
    assert data == {"members": ["No such user: 9999."]}
    assert db_rows("SELECT count(*) FROM rooms") == [(0,)]


async def test_room_names_are_unique_whatever_their_case(client, register, make_room):
    asha = await register("Asha")
    await make_room(asha, name="General")
    status, data = await post(client, "/api/chat/create-group/", asha, {"name": "gENERAL"})
    assert status == 400
    assert data == {"name": ["A room with this name already exists."]}


@pytest.mark.parametrize("name", ["", "   ", "x" * 51])
async def test_room_name_is_1_to_50_characters(client, register, name):
    asha = await register("Asha")
    status, data = await post(client, "/api/chat/create-group/", asha, {"name": name})
    assert status == 400 and list(data) == ["name"]


async def test_a_rooms_name_and_description_are_trimmed_before_their_limits_apply(client, register):
    asha = await register("Asha")
    body = {"name": "  Garden  ", "description": "  " + "x" * 1000 + "  "}
    status, data = await post(client, "/api/chat/create-group/", asha, body)
    assert status == 201, data
    assert (data["room"]["name"], data["room"]["description"]) == ("Garden", "x" * 1000)


async def test_groups_lists_only_joined_rooms_with_unread_and_last_message(client, register, make_room,
                                                                         connect):
    asha, ravi = await register("Asha", last_name="Rao"), await register("Ravi")
    shared = await make_room(asha, ravi, name="shared")
    await make_room(asha, name="asha-only")
    quiet = await make_room(ravi, name="quiet")
    await send(connect, asha, shared["id"], "one")
    last = await send(connect, asha, shared["id"], "two")
    await send(connect, ravi, shared["id"], "mine")  # not unread for ravi, but now the last message
    status, data = await get(client, "/api/chat/groups/", ravi)
    assert status == 200
    assert [r["name"] for r in data] == ["shared", "quiet"]
    by_name = {r["name"]: r for r in data}
    assert set(by_name["shared"]) == ROOM_KEYS | {"unread_count", "last_message", "room_role"}
    assert by_name["shared"]["room_role"] == "member"
    assert by_name["shared"]["unread_count"] == 2
    message = by_name["shared"]["last_message"]
    assert message["content"] == "mine" and message["sender"] == {"id": ravi["id"], "first_name": "Ravi",
                                                                   "last_name": ""}
    assert message["id"] > last["id"] and message["created_at"].endswith("+00:00")
    assert message["is_self"] is True  # ravi sent it
    status, seen_by_asha = await get(client, "/api/chat/groups/", asha)
    assert {r["name"]: r["last_message"]["is_self"] for r in seen_by_asha if r["last_message"]} == {"shared": False}
    assert (by_name["quiet"]["unread_count"], by_name["quiet"]["last_message"]) == (0, None)
    assert quiet["id"] == by_name["quiet"]["id"]


async def test_a_deleted_message_is_neither_last_nor_unread(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    first = await send(connect, asha, room["id"], "kept")
    second = await send(connect, asha, room["id"], "regretted")
    ws = await connect(asha, room["id"])
    await ws.send_json({"action": "delete_message", "message_id": second["id"]})
    await recv_until(ws, lambda f: f.get("action") == "deleted")
    await ws.close()
    [entry] = (await get(client, "/api/chat/groups/", ravi))[1]
    assert entry["unread_count"] == 1
    assert (entry["last_message"]["id"], entry["last_message"]["content"]) == (first["id"], "kept")


async def test_groups_is_empty_list_without_rooms(client, register):
    asha = await register("Asha")
    assert await get(client, "/api/chat/groups/", asha) == (200, [])


async def test_mark_as_read_clears_unread_count(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    await send(connect, asha, room["id"], "hello")
    [before] = (await get(client, "/api/chat/groups/", ravi))[1]
    assert before["unread_count"] == 1
    assert await post(client, f"/api/chat/groups/{room['id']}/mark-as-read/", ravi) == \
        (200, {"message": "Room marked as read."})
    [after] = (await get(client, "/api/chat/groups/", ravi))[1]
    assert after["unread_count"] == 0
    await send(connect, asha, room["id"], "again")
    [later] = (await get(client, "/api/chat/groups/", ravi))[1]
    assert later["unread_count"] == 1


async def test_mark_as_read_needs_membership(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha)
    status, data = await post(client, f"/api/chat/groups/{room['id']}/mark-as-read/", ravi)
    assert status == 403 and data["code"] == "forbidden"


async def test_list_shows_every_active_room_to_anyone(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    one, two = await make_room(asha, name="one"), await make_room(asha, ravi, name="two")
    await room_store.set_active(client.app[DB], one["id"], False)
    status, data = await get(client, "/api/chat/groups/list/", ravi)
    assert status == 200
    assert [(r["id"], r["members_count"]) for r in data] == [(two["id"], 2)]
    assert set(data[0]) == ROOM_KEYS
    status, found = await get(client, "/api/chat/groups/search/?q=one", ravi)
    assert (status, found) == (200, [])


async def test_search_rooms_by_name(client, register, make_room):
    asha = await register("Asha")
    await make_room(asha, name="Second year")
    await make_room(asha, name="third_year")
    await make_room(asha, name="general")
    for q, names in (("YEAR", ["Second year", "third_year"]), ("d_y", ["third_year"]), ("%", []),
                     ("", ["general", "Second year", "third_year"])):
        status, data = await get(client, f"/api/chat/groups/search/?q={q}", asha)
        assert status == 200
        assert sorted(r["name"] for r in data) == sorted(names), q


async def test_search_query_too_long_is_400(client, register):
    asha = await register("Asha")
    status, data = await get(client, "/api/chat/groups/search/?q=" + "x" * 101, asha)
    assert status == 400 and list(data) == ["q"]


# Membership

async def test_join_and_leave(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha)
    status, data = await post(client, f"/api/chat/group/{room['id']}/add-yourself/", ravi)
    assert status == 200
    assert data["message"] == "You joined the room." and data["room"]["members_count"] == 2
    status, data = await post(client, f"/api/chat/group/{room['id']}/add-yourself/", ravi)
    assert status == 400 and data == {"detail": "Already a member of this room.", "code": "already_member"}
    assert await post(client, f"/api/chat/group/{room['id']}/remove-yourself/", ravi) == \
        (200, {"message": "You left the room."})
    status, data = await post(client, f"/api/chat/group/{room['id']}/remove-yourself/", ravi)
    assert status == 400 and data["code"] == "not_member"
    assert await member_ids(client, room["id"], asha) == [asha["id"]]


async def test_owner_cannot_leave_until_ownership_is_transferred(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    status, data = await post(client, f"/api/chat/group/{room['id']}/remove-yourself/", asha)
    assert status == 403 and data["code"] == "forbidden"
    status, data = await post(client, f"/api/chat/group/{room['id']}/transfer-ownership/", asha,
                              {"new_owner_id": ravi["id"]})
    assert status == 200
    assert data["message"] == "Ownership transferred."
    assert data["room"]["created_by"] == {"id": ravi["id"], "first_name": "Ravi", "last_name": ""}
    assert (await post(client, f"/api/chat/group/{room['id']}/remove-yourself/", asha))[0] == 200
    assert await member_ids(client, room["id"], ravi) == [ravi["id"]]


async def test_transfer_to_a_non_member_is_400_and_only_the_owner_may_transfer(client, register, make_room):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room = await make_room(asha, ravi)
    path = f"/api/chat/group/{room['id']}/transfer-ownership/"
    assert await post(client, path, asha, {"new_owner_id": meera["id"]}) == \
        (400, {"new_owner_id": ["The new owner must be a member of the room."]})
    status, data = await post(client, path, ravi, {"new_owner_id": ravi["id"]})
    assert status == 403 and data["code"] == "forbidden"
    status, data = await get(client, "/api/chat/groups/list/", asha)
    assert data[0]["created_by"]["id"] == asha["id"]


async def test_leaving_closes_the_members_sockets_with_4003(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await connect(ravi, room["id"])
    assert (await post(client, f"/api/chat/group/{room['id']}/remove-yourself/", ravi))[0] == 200
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4003


async def test_members_list_is_for_members_only(client, register, make_room):
    asha, ravi = await register("Asha", last_name="Rao", year="2nd"), await register("Ravi")
    room = await make_room(asha)
    status, data = await get(client, f"/api/chat/groups/{room['id']}/members/", asha)
    assert status == 200
    assert data == [{"id": asha["id"], "first_name": "Asha", "last_name": "Rao", "role": "member",
                     "photo": None, "year": "2nd", "room_role": "owner"}]
    status, data = await get(client, f"/api/chat/groups/{room['id']}/members/", ravi)
    assert status == 403 and data["code"] == "forbidden"


async def test_search_members_by_name_for_members_only(client, register, make_room):
    asha = await register("Asha", last_name="Rao")
    ravi, meera = await register("Ravi", last_name="Kumar"), await register("Meera")
    outsider = await register("Rao")
    room = await make_room(asha, ravi, meera)
    path = f"/api/chat/groups/{room['id']}/search/members/"
    for q, ids in (("ra", [asha["id"], meera["id"], ravi["id"]]), ("KUM", [ravi["id"]]),
                   ("asha rao", [asha["id"]]), ("zz", []),
                   ("", [asha["id"], meera["id"], ravi["id"]])):
        status, data = await get(client, f"{path}?q={q}", meera)
        assert status == 200
        assert [m["id"] for m in data] == ids, q
    status, data = await get(client, f"{path}?q=a", outsider)
    assert status == 403


async def test_owner_adds_and_removes_members(client, register, make_room, connect):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room = await make_room(asha)
    path = f"/api/chat/groups/{room['id']}/members/"
    status, data = await post(client, path, asha, {"user_id": ravi["id"]})
    assert status == 201
    assert data == {"message": "Member added.", "member": {
        "id": ravi["id"], "first_name": "Ravi", "last_name": "", "role": "member", "photo": None, "year": None,
        "room_role": "member"}}
    status, data = await post(client, path, asha, {"user_id": ravi["id"]})
    assert status == 400 and data["code"] == "already_member"
    assert await post(client, path, asha, {"user_id": 9999}) == (400, {"user_id": ["No such user: 9999."]})
    status, data = await post(client, path, ravi, {"user_id": meera["id"]})
    assert status == 403
    ws = await connect(ravi, room["id"])
    resp = await client.delete(f"{path}{ravi['id']}/", headers=asha.auth)
    assert resp.status == 200 and await resp.json() == {"message": "Member removed."}
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4003
    resp = await client.delete(f"{path}{ravi['id']}/", headers=asha.auth)
    assert resp.status == 404 and (await resp.json())["code"] == "not_member"
    assert await member_ids(client, room["id"], asha) == [asha["id"]]


async def test_members_cannot_remove_others_and_nobody_removes_the_owner(client, register, make_room,
                                                                        make_admin):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    root = await make_admin()
    room = await make_room(asha, ravi, meera)
    path = f"/api/chat/groups/{room['id']}/members/"
    resp = await client.delete(f"{path}{meera['id']}/", headers=ravi.auth)
    assert resp.status == 403
    for user in (asha, root):
        resp = await client.delete(f"{path}{asha['id']}/", headers=user.auth)
        assert resp.status == 403 and (await resp.json())["code"] == "forbidden"
    assert len(await member_ids(client, room["id"], asha)) == 3


# Editing and deleting

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_owner_edits_the_room(client, register, make_room, method):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha)
    resp = await client.request(method, f"/api/chat/edit-group/{room['id']}/", headers=asha.auth, json={
        "description": "New words", "room_avatar": "https://example.org/a.png", "members": [ravi["id"]]})
    assert resp.status == 200
    data = await resp.json()
    assert data["message"] == "Room updated successfully."
    edited = data["room"]
    assert (edited["name"], edited["description"], edited["room_avatar"], edited["members_count"]) == \
        (room["name"], "New words", "https://example.org/a.png", 2)
    assert edited["updated_at"] > room["updated_at"]


async def test_edit_by_a_member_is_403_and_changes_nothing(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi, name="keep")
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", headers=ravi.auth, json={"name": "taken"})
    assert resp.status == 403 and (await resp.json())["code"] == "forbidden"
    assert [r["name"] for r in (await get(client, "/api/chat/groups/", asha))[1]] == ["keep"]


async def test_edit_to_a_taken_name_or_unknown_member_is_400(client, register, make_room):
    asha = await register("Asha")
    await make_room(asha, name="first")
    room = await make_room(asha, name="second")
    path = f"/api/chat/edit-group/{room['id']}/"
    resp = await client.patch(path, headers=asha.auth, json={"name": "FIRST"})
    assert resp.status == 400 and await resp.json() == {"name": ["A room with this name already exists."]}
    resp = await client.patch(path, headers=asha.auth, json={"members": [9999]})
    assert resp.status == 400 and await resp.json() == {"members": ["No such user: 9999."]}


async def test_edit_members_removes_people_and_closes_their_sockets(client, register, make_room, connect):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room = await make_room(asha, ravi, meera)
    ravi_ws, meera_ws = await connect(ravi, room["id"]), await connect(meera, room["id"])
    resp = await client.put(f"/api/chat/edit-group/{room['id']}/", headers=asha.auth,
                            json={"members": [meera["id"]]})
    assert resp.status == 200
    assert (await resp.json())["room"]["members_count"] == 2  # the owner always stays
    msg = await ravi_ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4003
    assert not meera_ws.closed
    await meera_ws.close()
    assert await member_ids(client, room["id"], asha) == sorted([asha["id"], meera["id"]])


async def test_delete_group_by_owner_closes_sockets_with_4004(client, register, make_room, connect, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    await send(connect, ravi, room["id"], "bye")
    ws = await connect(ravi, room["id"])
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=ravi.auth)
    assert resp.status == 403
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert resp.status == 200 and await resp.json() == {"message": "Room deleted successfully."}
    msg = await ws.receive(timeout=3)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004
    for table in ("rooms", "members", "messages", "events"):
        assert db_rows(f"SELECT count(*) FROM {table}") == [(0,)], table
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert resp.status == 404


async def test_a_room_created_after_a_deleted_one_starts_its_own_seq(client, register, make_room, connect):
    asha = await register("Asha")
    old = await make_room(asha, name="old")
    await send(connect, asha, old["id"], "one")
    await client.delete(f"/api/chat/delete-group/{old['id']}/", headers=asha.auth)
    new = await make_room(asha, name="new")
    frame = await send(connect, asha, new["id"], "first")
    assert frame["seq"] == 1


# Site admins and inactive rooms

async def test_site_admin_has_owner_powers_in_every_room(client, register, make_room, make_admin):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    root = await make_admin()
    room = await make_room(asha, ravi)
    rid = room["id"]
    assert (await get(client, f"/api/chat/groups/{rid}/members/", root))[0] == 200
    resp = await client.patch(f"/api/chat/edit-group/{rid}/", headers=root.auth, json={"name": "renamed"})
    assert resp.status == 200 and (await resp.json())["room"]["name"] == "renamed"
    assert (await post(client, f"/api/chat/groups/{rid}/members/", root, {"user_id": meera["id"]}))[0] == 201
    resp = await client.delete(f"/api/chat/groups/{rid}/members/{meera['id']}/", headers=root.auth)
    assert resp.status == 200
    status, data = await post(client, f"/api/chat/group/{rid}/transfer-ownership/", root,
                              {"new_owner_id": ravi["id"]})
    assert status == 200 and data["room"]["created_by"]["id"] == ravi["id"]
    resp = await client.delete(f"/api/chat/delete-group/{rid}/", headers=root.auth)
    assert resp.status == 200
    assert await get(client, "/api/chat/groups/", asha) == (200, [])


async def test_inactive_room_is_404_for_all_but_the_site_admin(client, register, make_room, make_admin):
    asha, ravi = await register("Asha"), await register("Ravi")
    root = await make_admin()
    room = await make_room(asha, ravi)
    rid = room["id"]
    await room_store.set_active(client.app[DB], rid, False)
    attempts = [("GET", f"/api/chat/groups/{rid}/members/", None),
                ("GET", f"/api/chat/groups/{rid}/search/members/?q=a", None),
                ("POST", f"/api/chat/groups/{rid}/mark-as-read/", None),
                ("POST", f"/api/chat/group/{rid}/add-yourself/", None),
                ("POST", f"/api/chat/group/{rid}/remove-yourself/", None),
                ("PATCH", f"/api/chat/edit-group/{rid}/", {"description": "x"}),
                ("DELETE", f"/api/chat/delete-group/{rid}/", None)]
    for user in (asha, ravi):
        for method, path, body in attempts:
            resp = await client.request(method, path, headers=user.auth, json=body)
            assert resp.status == 404, (method, path)
            assert await resp.json() == {"detail": "No such room.", "code": "not_found"}
    assert await get(client, "/api/chat/groups/", asha) == (200, [])
    resp = await client.patch(f"/api/chat/edit-group/{rid}/", headers=root.auth, json={"description": "x"})
    assert resp.status == 200
    assert (await resp.json())["room"]["is_active"] is False
    assert (await get(client, f"/api/chat/groups/{rid}/members/", root))[0] == 200


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/chat/groups/{id}/members/", None),
    ("GET", "/api/chat/groups/{id}/search/members/?q=a", None),
    ("POST", "/api/chat/groups/{id}/mark-as-read/", None),
    ("POST", "/api/chat/group/{id}/add-yourself/", None),
    ("POST", "/api/chat/group/{id}/remove-yourself/", None),
    ("POST", "/api/chat/group/{id}/transfer-ownership/", {"new_owner_id": 1}),
    ("PUT", "/api/chat/edit-group/{id}/", {}),
    ("PATCH", "/api/chat/edit-group/{id}/", {}),
    ("DELETE", "/api/chat/delete-group/{id}/", None),
    ("POST", "/api/chat/groups/{id}/members/", {"user_id": 1}),
    ("DELETE", "/api/chat/groups/{id}/members/1/", None),
])
async def test_unknown_room_is_404_and_anonymous_is_401(client, register, make_admin, method, path, body):
    root = await make_admin()
    for room_id in (9999, 0, 2**60):
        resp = await client.request(method, path.format(id=room_id), headers=root.auth, json=body)
        assert resp.status == 404
        assert (await resp.json())["code"] == "not_found"
    resp = await client.request(method, path.format(id=9999), json=body)
    assert resp.status == 401 and (await resp.json())["code"] == "unauthorized"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/chat/groups/"), ("GET", "/api/chat/groups/list/"), ("GET", "/api/chat/groups/search/?q=a"),
    ("POST", "/api/chat/create-group/"),
])
async def test_room_collections_need_a_token(client, method, path):
    resp = await client.request(method, path, json={"name": "x"})
    assert resp.status == 401 and (await resp.json())["code"] == "unauthorized"


# Health

async def test_healthz_is_ok_while_the_database_answers(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_healthz_is_503_when_the_database_is_gone(client):
    await client.app[DB].close()
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert (await resp.json())["status"] == "unavailable"


@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "/api/chat/edit-group/{id}/", {"description": "late"}),
    ("POST", "/api/chat/group/{id}/transfer-ownership/", {"new_owner_id": "ravi"}),
    ("POST", "/api/chat/groups/{id}/members/", {"user_id": "meera"}),
])
async def test_a_room_deleted_while_a_change_was_on_its_way_is_404(client, register, make_room, db_rows,
                                                                   checkpoint, method, path, body):
    """The change passed its checks, then the room went before its body arrived: 404, nothing written."""
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room = await make_room(asha, ravi)
    ids = {"ravi": ravi["id"], "meera": meera["id"]}
    raw = orjson.dumps({k: ids.get(v, v) for k, v in body.items()})
    release = asyncio.Event()

    async def slow_body():
        yield raw[:1]
        await release.wait()
        yield raw[1:]

    looked_up = checkpoint(room_store, "room_for").arm(
        lambda found, db, room_id, user_id: found is not None and room_id == room["id"])
    pending = asyncio.create_task(client.request(
        method, path.format(id=room["id"]), data=slow_body(),
        headers={**asha.auth, "Content-Type": "application/json"}))
    assert (await asyncio.wait_for(looked_up, 5))["is_active"]  # the change found the room; its body is not all here
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert resp.status == 200
    release.set()
    resp = await pending
    assert resp.status == 404
    assert await resp.json() == {"detail": "No such room.", "code": "not_found"}
    assert db_rows("SELECT count(*) FROM rooms") == db_rows("SELECT count(*) FROM members") == [(0,)]
