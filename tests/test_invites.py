"""Invites: made, listed and revoked by a room's owner, moderators and site admins; accepted once per use."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.keys import DB
from chatserver.storage.db import execute, now_iso

from conftest import recv_until

INVITE_KEYS = {"code", "room_id", "expires_at", "max_uses", "uses", "created_at", "created_by"}


async def private_room(client, owner, *members):
    resp = await client.post("/api/chat/create-group/", headers=owner.auth,
                             json={"name": "committee", "kind": "private", "members": [m["id"] for m in members]})
    assert resp.status == 201
    return (await resp.json())["room"]["id"]


async def invite(client, user, room_id, status=201, **body):
    resp = await client.post(f"/api/chat/groups/{room_id}/invites/", headers=user.auth, json=body or None)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def accept(client, user, code):
    resp = await client.post(f"/api/chat/invites/{code}/accept/", headers=user.auth)
    return resp.status, await resp.json()


def members_of(db_rows, room_id):
    return [row[0] for row in db_rows("SELECT user_id FROM members WHERE room_id = ? ORDER BY user_id", (room_id,))]


async def test_the_owner_makes_an_invite_that_joins_a_private_room_and_is_audited(client, register, db_rows):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id, expires_in=3600, max_uses=5)
    assert set(made) == INVITE_KEYS
    assert (made["room_id"], made["max_uses"], made["uses"], made["created_by"]) == (room_id, 5, 0, asha["id"])
    assert len(made["code"]) >= 22 and made["expires_at"] > made["created_at"]
    status, joined = await accept(client, eve, made["code"])
    assert status == 200 and joined["room"]["id"] == room_id and joined["room"]["kind"] == "private"
    assert members_of(db_rows, room_id) == [asha["id"], eve["id"]]
    listing = await (await client.get(f"/api/chat/groups/{room_id}/invites/", headers=asha.auth)).json()
    assert [(i["code"], i["uses"]) for i in listing] == [(made["code"], 1)]
    assert db_rows("SELECT actor_id, action, room_id FROM audit") == [(asha["id"], "invite_created", room_id)]


async def test_a_member_accepting_again_is_answered_the_room_and_spends_no_use(client, register, db_rows):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id, max_uses=1)
    assert (await accept(client, eve, made["code"]))[0] == 200
    status, again = await accept(client, eve, made["code"])
    assert status == 200 and again["message"] == "You are already a member." and again["room"]["id"] == room_id
    mona = await register("Mona")
    assert (await accept(client, mona, made["code"]))[0] == 404  # used up: the one use went to eve
    assert db_rows("SELECT uses FROM invites") == [(1,)]


async def test_two_accepts_racing_for_the_last_use_join_one_user(client, register, db_rows):
    asha = await register("Asha")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id, max_uses=1)
    racers = [await register(f"Racer{i}") for i in range(6)]
    answers = await asyncio.gather(*(accept(client, racer, made["code"]) for racer in racers))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 404, 404, 404, 404, 404]
    assert {body["code"] for status, body in answers if status == 404} == {"invite_invalid"}
    assert len(members_of(db_rows, room_id)) == 2 and db_rows("SELECT uses FROM invites") == [(1,)]


async def test_revoked_expired_used_up_and_unknown_codes_get_one_answer(client, register, db_rows):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    revoked, expired, used = (await invite(client, asha, room_id), await invite(client, asha, room_id),
                              await invite(client, asha, room_id, max_uses=1))
    resp = await client.delete(f"/api/chat/groups/{room_id}/invites/{revoked['code']}/", headers=asha.auth)
    assert resp.status == 200
    resp = await client.delete(f"/api/chat/groups/{room_id}/invites/{revoked['code']}/", headers=asha.auth)
    assert resp.status == 404
    await client.app[DB].write(execute, "UPDATE invites SET expires_at = ? WHERE code = ?",
                               ("2000-01-01T00:00:00.000000+00:00", expired["code"]))
    await client.app[DB].write(execute, "UPDATE invites SET uses = 1 WHERE code = ?", (used["code"],))
    answers = [await accept(client, eve, code) for code in (revoked["code"], expired["code"], used["code"], "x" * 22)]
    assert {(status, body["code"], body["detail"]) for status, body in answers} == {
        (404, "invite_invalid", "This invite does not exist, has expired, was revoked or is used up.")}
    assert members_of(db_rows, room_id) == [asha["id"]]
    assert await (await client.get(f"/api/chat/groups/{room_id}/invites/", headers=asha.auth)).json() == []
    assert [row[0] for row in db_rows("SELECT action FROM audit ORDER BY id")] == \
        ["invite_created"] * 3 + ["invite_revoked"]


async def test_a_banned_user_cannot_use_an_invite(client, register, db_rows):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id)
    await client.app[DB].write(execute, "INSERT INTO bans (room_id, user_id, actor_id, created_at) VALUES (?, ?, ?, ?)",
                               (room_id, eve["id"], asha["id"], now_iso()))
    status, body = await accept(client, eve, made["code"])
    assert (status, body["code"]) == (403, "banned")
    assert members_of(db_rows, room_id) == [asha["id"]] and db_rows("SELECT uses FROM invites") == [(0,)]


async def test_only_the_owner_moderators_and_site_admins_handle_invites(client, register, make_admin, make_room,
                                                                       db_rows):
    asha, ravi, mona, eve, root = (await register("Asha"), await register("Ravi"), await register("Mona"),
                                   await register("Eve"), await make_admin())
    room_id = await private_room(client, asha, ravi, mona)
    await client.app[DB].write(execute, "UPDATE members SET moderator = 1 WHERE user_id = ?", (mona["id"],))
    refused = await invite(client, ravi, room_id, status=403)
    assert refused["code"] == "forbidden"
    assert (await invite(client, eve, room_id, status=404))["code"] == "not_found"
    by_mona, by_root = await invite(client, mona, room_id), await invite(client, root, room_id)
    for user, status in ((ravi, 403), (eve, 404), (mona, 200)):
        resp = await client.get(f"/api/chat/groups/{room_id}/invites/", headers=user.auth)
        assert resp.status == status
        resp = await client.delete(f"/api/chat/groups/{room_id}/invites/{by_root['code']}/", headers=user.auth)
        assert resp.status == status
    public = await make_room(eve)
    resp = await client.delete(f"/api/chat/groups/{public['id']}/invites/{by_mona['code']}/", headers=eve.auth)
    assert resp.status == 404  # another room's code
    assert db_rows("SELECT count(*) FROM invites WHERE revoked_at IS NULL") == [(1,)]


async def test_a_room_has_at_most_max_invites_per_room_live_invites(make_client, config, register, tmp_path):
    client = await make_client(config.replace(db=str(tmp_path / "own.db"), max_invites_per_room=2))
    asha = await register("Asha", cl=client)
    room_id = await private_room(client, asha)
    first = await invite(client, asha, room_id)
    await invite(client, asha, room_id)
    refused = await invite(client, asha, room_id, status=400)
    assert refused["code"] == "too_many_invites" and "at most 2" in refused["detail"]
    await client.delete(f"/api/chat/groups/{room_id}/invites/{first['code']}/", headers=asha.auth)
    await invite(client, asha, room_id)


@pytest.mark.parametrize("body", [{"expires_in": 0}, {"expires_in": "60"}, {"expires_in": True},
                                  {"max_uses": 0}, {"max_uses": 1.5}, {"max_uses": -1}, {"uses": 3}])
async def test_bad_invite_bodies_are_refused_and_make_nothing(client, register, db_rows, body):
    asha = await register("Asha")
    room_id = await private_room(client, asha)
    refused = await invite(client, asha, room_id, status=400, **body)
    assert list(refused) == list(body)
    assert db_rows("SELECT count(*) FROM invites") == [(0,)]


async def test_accepting_tells_the_users_stream_and_the_room_is_theirs_at_once(client, register, connect):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id)
    stream = await client.ws_connect(f"/ws/user/?token={eve.token}")
    assert (await accept(client, eve, made["code"]))[0] == 200
    assert (await recv_until(stream, lambda f: True))["action"] == "rooms_changed"
    ws = await connect(eve, room_id)
    await ws.send_json({"action": "send_message", "message": "thanks for the invite"})
    assert (await recv_until(ws, lambda f: "message" in f))["message"] == "thanks for the invite"
    history = await client.get(f"/api/chat/groups/{room_id}/messages/", headers=eve.auth)
    assert history.status == 200


async def test_an_invite_of_a_deleted_room_joins_no_one(client, register):
    asha, eve = await register("Asha"), await register("Eve")
    room_id = await private_room(client, asha)
    made = await invite(client, asha, room_id)
    assert (await client.delete(f"/api/chat/delete-group/{room_id}/", headers=asha.auth)).status == 200
    status, body = await accept(client, eve, made["code"])
    assert (status, body["code"]) == (404, "invite_invalid")
