"""Moderators, removals by them, bans and read-only rooms over REST, each audited; a ban holds against every way back."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.storage import rooms as room_store

from conftest import close_code


async def call(client, method, path, user, body=None):
    resp = await client.request(method, path, headers=user.auth, json=body)
    return resp.status, await resp.json()


async def roles(client, room_id, user):
    status, members = await call(client, "GET", f"/api/chat/groups/{room_id}/members/", user)
    assert status == 200, members
    return {m["id"]: m["room_role"] for m in members}


def audit_rows(db_rows, room_id):
    return db_rows("SELECT actor_id, action, target_id, reason FROM audit WHERE room_id = ? ORDER BY id", (room_id,))


@pytest.fixture
async def club(client, register, make_room):
    """A room owned by Asha with Mira (made moderator), Ravi and Tara as members; Omar outside."""
    asha, mira, ravi, tara, omar = [await register(n) for n in ("Asha", "Mira", "Ravi", "Tara", "Omar")]
    room = await make_room(asha, mira, ravi, tara)
    status, data = await call(client, "POST", f"/api/chat/groups/{room['id']}/moderators/", asha,
                              {"user_id": mira["id"]})
    assert (status, data["room_role"]) == (200, "moderator")
    return room, asha, mira, ravi, tara, omar


async def test_member_lists_show_each_members_room_role(client, club):
    room, asha, mira, ravi, tara, _ = club
    assert await roles(client, room["id"], ravi) == {asha["id"]: "owner", mira["id"]: "moderator",
                                                     ravi["id"]: "member", tara["id"]: "member"}
    status, found = await call(client, "GET", f"/api/chat/groups/{room['id']}/search/members/?q=Mir", ravi)
    assert status == 200 and [(m["id"], m["room_role"]) for m in found] == [(mira["id"], "moderator")]


async def test_only_the_owner_or_a_site_admin_makes_moderators(client, club, make_admin, db_rows):
    room, asha, mira, ravi, tara, omar = club
    path = f"/api/chat/groups/{room['id']}/moderators/"
    for who in (mira, ravi):
        status, data = await call(client, "POST", path, who, {"user_id": tara["id"]})
        assert (status, data["code"]) == (403, "forbidden")
    status, data = await call(client, "POST", path, asha, {"user_id": omar["id"]})
    assert (status, data["code"]) == (404, "not_member")
    status, data = await call(client, "POST", path, asha, {"user_id": asha["id"]})
    assert status == 400 and "user_id" in data
    admin = await make_admin()
    assert (await call(client, "POST", path, admin, {"user_id": tara["id"]}))[0] == 200
    assert (await call(client, "POST", path, admin, {"user_id": tara["id"]}))[0] == 200  # again: no change
    assert (await call(client, "DELETE", f"{path}{mira['id']}/", asha))[0] == 200
    assert await roles(client, room["id"], ravi) == {asha["id"]: "owner", mira["id"]: "member",
                                                     ravi["id"]: "member", tara["id"]: "moderator"}
    assert audit_rows(db_rows, room["id"]) == [
        (asha["id"], "moderator_added", mira["id"], ""), (admin["id"], "moderator_added", tara["id"], ""),
        (asha["id"], "moderator_removed", mira["id"], "")]


async def test_moderators_remove_members_but_not_the_owner_nor_other_moderators(client, club, connect, db_rows):
    room, asha, mira, ravi, tara, _ = club
    members = f"/api/chat/groups/{room['id']}/members/"
    assert (await call(client, "POST", f"/api/chat/groups/{room['id']}/moderators/", asha,
                       {"user_id": tara["id"]}))[0] == 200
    ws = await connect(ravi, room["id"])
    assert (await call(client, "DELETE", f"{members}{tara['id']}/", ravi))[0] == 403  # members do not remove
    assert (await call(client, "DELETE", f"{members}{ravi['id']}/", mira))[0] == 200
    assert await close_code(ws) == 4003
    for target in (asha, tara):
        status, data = await call(client, "DELETE", f"{members}{target['id']}/", mira)
        assert (status, data["code"]) == (403, "forbidden")
    assert (await call(client, "DELETE", f"{members}{tara['id']}/", asha))[0] == 200  # the owner may
    assert set(await roles(client, room["id"], asha)) == {asha["id"], mira["id"]}
    assert (await call(client, "POST", f"/api/chat/group/{room['id']}/remove-yourself/", mira))[0] == 200
    assert [row[:3] for row in audit_rows(db_rows, room["id"]) if row[1] == "member_removed"] == [
        (mira["id"], "member_removed", ravi["id"]), (asha["id"], "member_removed", tara["id"])]


async def test_a_ban_removes_the_member_and_closes_their_sockets(client, club, connect, db_rows):
    room, asha, mira, ravi, _, _ = club
    ws = await connect(ravi, room["id"])
    status, data = await call(client, "POST", f"/api/chat/groups/{room['id']}/bans/", mira,
                              {"user_id": ravi["id"], "reason": "spam"})
    assert (status, data["user_id"]) == (201, ravi["id"])
    assert await close_code(ws) == 4003
    assert ravi["id"] not in await roles(client, room["id"], asha)
    status, bans = await call(client, "GET", f"/api/chat/groups/{room['id']}/bans/", asha)
    assert status == 200 and len(bans) == 1
    assert bans[0]["user"]["id"] == ravi["id"] and bans[0]["reason"] == "spam"
    assert bans[0]["banned_by"] == {"id": mira["id"], "first_name": "Mira", "last_name": ""}
    assert audit_rows(db_rows, room["id"])[-1] == (mira["id"], "banned", ravi["id"], "spam")


async def test_a_banned_user_cannot_come_back_by_any_path_until_unbanned(client, club, connect, db_rows):
    room, asha, mira, ravi, tara, _ = club
    rid = room["id"]
    assert (await call(client, "POST", f"/api/chat/groups/{rid}/bans/", mira, {"user_id": ravi["id"]}))[0] == 201
    attempts = [
        ("POST", f"/api/chat/group/{rid}/add-yourself/", ravi, None),
        ("POST", f"/api/chat/groups/{rid}/members/", asha, {"user_id": ravi["id"]}),
        ("POST", f"/api/chat/groups/{rid}/members/", mira, {"user_id": ravi["id"]}),
        ("PATCH", f"/api/chat/edit-group/{rid}/", asha, {"members": [mira["id"], tara["id"], ravi["id"]]}),
    ]
    for method, path, who, body in attempts:
        status, data = await call(client, method, path, who, body)
        assert (status, data["code"]) == (403, "banned"), (path, data)
    assert data["user_ids"] == [ravi["id"]]
    resp = await client.get(f"/ws/chat/{rid}/?token={ravi.token}")  # a socket opened later
    assert resp.status == 403
    assert set(await roles(client, rid, asha)) == {asha["id"], mira["id"], tara["id"]}
    assert (await call(client, "DELETE", f"/api/chat/groups/{rid}/bans/{ravi['id']}/", mira))[0] == 200
    status, data = await call(client, "DELETE", f"/api/chat/groups/{rid}/bans/{ravi['id']}/", mira)
    assert (status, data["code"]) == (404, "not_banned")
    assert (await call(client, "POST", f"/api/chat/group/{rid}/add-yourself/", ravi))[0] == 200
    assert [row[1] for row in audit_rows(db_rows, rid)][-2:] == ["banned", "unbanned"]


async def test_a_handshake_in_flight_at_the_ban_keeps_no_socket(client, club, checkpoint):
    room, _, mira, ravi, _, _ = club
    looked_up = checkpoint(room_store, "room_for", hold=True)
    reached = looked_up.arm(lambda found, db, room_id, user_id: user_id == ravi["id"] and found["is_member"])
    opening = asyncio.create_task(client.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}"))
    await asyncio.wait_for(reached, 5)  # the handshake saw a member, and waits there
    status, _ = await call(client, "POST", f"/api/chat/groups/{room['id']}/bans/", mira, {"user_id": ravi["id"]})
    assert status == 201
    looked_up.release.set()
    ws = await opening
    assert await close_code(ws) == 4003


async def test_who_may_ban_whom(client, club, make_admin):
    room, asha, mira, ravi, tara, omar = club
    bans = f"/api/chat/groups/{room['id']}/bans/"
    status, data = await call(client, "POST", bans, ravi, {"user_id": tara["id"]})
    assert (status, data["code"]) == (403, "forbidden")
    assert (await call(client, "GET", bans, ravi))[0] == 403
    status, data = await call(client, "POST", bans, mira, {"user_id": asha["id"]})
    assert (status, data["detail"]) == (403, "The owner cannot be banned.")
    admin = await make_admin()
    assert (await call(client, "POST", bans, admin, {"user_id": asha["id"]}))[0] == 403
    assert (await call(client, "POST", f"/api/chat/groups/{room['id']}/moderators/", asha,
                       {"user_id": tara["id"]}))[0] == 200
    assert (await call(client, "POST", bans, mira, {"user_id": tara["id"]}))[0] == 403  # a fellow moderator
    assert (await call(client, "POST", bans, asha, {"user_id": tara["id"]}))[0] == 201
    assert (await call(client, "POST", bans, mira, {"user_id": omar["id"]}))[0] == 201  # not a member yet
    status, data = await call(client, "POST", bans, mira, {"user_id": omar["id"]})
    assert (status, data["code"]) == (400, "already_banned")
    status, data = await call(client, "POST", bans, mira, {"user_id": 999999})
    assert status == 400 and "user_id" in data
    status, data = await call(client, "POST", bans, mira, {"user_id": ravi["id"], "delete_messages": "yes"})
    assert status == 400 and "delete_messages" in data
    assert {b["user"]["id"] for b in (await call(client, "GET", bans, mira))[1]} == {tara["id"], omar["id"]}


async def test_the_owner_makes_a_room_read_only(client, club, db_rows):
    room, asha, mira, ravi, _, _ = club
    path = f"/api/chat/edit-group/{room['id']}/"
    assert room["read_only"] is False and room["kind"] == "public"
    for who in (mira, ravi):
        assert (await call(client, "PATCH", path, who, {"read_only": True}))[0] == 403
    status, data = await call(client, "PATCH", path, asha, {"read_only": 1})
    assert status == 400 and "read_only" in data
    status, data = await call(client, "PATCH", path, asha, {"read_only": True})
    assert status == 200 and data["room"]["read_only"] is True
    assert (await call(client, "PATCH", path, asha, {"read_only": True, "description": "news"}))[0] == 200
    status, listed = await call(client, "GET", "/api/chat/groups/", ravi)
    assert [r["read_only"] for r in listed if r["id"] == room["id"]] == [True]
    assert [row[1] for row in audit_rows(db_rows, room["id"]) if row[1] == "room_read_only_changed"] \
        == ["room_read_only_changed"]  # the second PATCH changed nothing of it


async def test_members_left_out_of_an_edit_are_removed_on_the_record(client, club, db_rows):
    room, asha, mira, ravi, tara, _ = club
    status, _ = await call(client, "PATCH", f"/api/chat/edit-group/{room['id']}/", asha, {"members": [mira["id"]]})
    assert status == 200
    assert sorted(row[:3] for row in audit_rows(db_rows, room["id"]) if row[1] == "member_removed") == sorted([
        (asha["id"], "member_removed", ravi["id"]), (asha["id"], "member_removed", tara["id"])])
