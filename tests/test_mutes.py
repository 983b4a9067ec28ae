"""Mutes: a room's owner, moderators and site admins mute a member, who reads but cannot send, edit, react or pin."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from test_openapi import DOC, check


@pytest.fixture
def promote(config):
    """Make a member a moderator of a room, in the database (the moderators' endpoints are another part's)."""
    def make(room: dict, user: dict, db: str | None = None) -> None:
        conn = sqlite3.connect(db or config.db)
        with conn:
            conn.execute("UPDATE members SET moderator = 1 WHERE room_id = ? AND user_id = ?", (room["id"], user["id"]))
        conn.close()
    return make


def documented(method: str, path: str, status: int) -> dict:
    return DOC["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


async def test_owner_and_moderators_mute_and_lift_and_each_is_audited(client, register, make_room, promote, db_rows):
    owner, mod, asha, ravi = await register("Olga"), await register("Mo"), await register("Asha"), await register("Ravi")
    room = await make_room(owner, mod, asha, ravi)
    promote(room, mod)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    resp = await client.post(url, json={"user_id": asha["id"], "duration": 600, "reason": "flooding"}, headers=mod.auth)
    assert resp.status == 201, await resp.text()
    answer = await resp.json()
    check(documented("post", "/api/chat/groups/{id}/mutes/", 201), answer)
    mute = answer["mute"]
    assert mute["user"]["id"] == asha["id"] and mute["muted_by"] == mod["id"]
    until = datetime.fromisoformat(mute["until"])
    assert timedelta(seconds=590) < until - datetime.now(timezone.utc) <= timedelta(seconds=600)
    resp = await client.post(url, json={"user_id": ravi["id"]}, headers=owner.auth)
    assert resp.status == 201 and (await resp.json())["mute"]["until"] is None

    listed = await (await client.get(url, headers=owner.auth)).json()
    check(documented("get", "/api/chat/groups/{id}/mutes/", 200), listed)
    assert [m["user"]["id"] for m in listed] == [ravi["id"], asha["id"]]
    own = await (await client.get(url, headers=asha.auth)).json()  # a member sees only their own
    assert [(m["user"]["id"], m["until"]) for m in own] == [(asha["id"], mute["until"])]
    assert await (await client.get(url, headers=mod.auth)).json() == listed

    assert (await client.delete(f"{url}{asha['id']}/", headers=mod.auth)).status == 200
    assert await (await client.get(url, headers=asha.auth)).json() == []
    again = await client.delete(f"{url}{asha['id']}/", headers=mod.auth)
    assert again.status == 404 and (await again.json())["code"] == "not_found"
    assert db_rows("SELECT actor_id, action, room_id, target_id, reason FROM audit ORDER BY id") == [
        (mod["id"], "muted", room["id"], asha["id"], "flooding"), (owner["id"], "muted", room["id"], ravi["id"], ""),
        (mod["id"], "unmuted", room["id"], asha["id"], "")]


async def test_who_may_mute_whom(client, register, make_room, make_admin, promote, db_rows):
    owner, mod, mod2, asha, ravi = [await register(n) for n in ("Olga", "Mo", "Max", "Asha", "Ravi")]
    root, stranger = await make_admin(), await register("Stan")
    room = await make_room(owner, mod, mod2, asha, ravi)
    promote(room, mod)
    promote(room, mod2)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    for actor, body, status, code in (
            (asha, {"user_id": ravi["id"]}, 403, "forbidden"),         # a member
            (stranger, {"user_id": ravi["id"]}, 403, "forbidden"),     # not even a member
            (mod, {"user_id": owner["id"]}, 403, "forbidden"),         # the owner
            (root, {"user_id": owner["id"]}, 403, "forbidden"),
            (mod, {"user_id": mod2["id"]}, 403, "forbidden"),          # a moderator, by a moderator
            (mod, {"user_id": stranger["id"]}, 404, "not_member"),
            (mod, {"user_id": 10**6}, 404, "not_member"),
            (mod, {"user_id": ravi["id"], "duration": 30 * 86400 + 1}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": "60"}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": 0}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": 1.5}, 400, None)):
        resp = await client.post(url, json=body, headers=actor.auth)
        assert resp.status == status, (actor["first_name"], body, await resp.text())
        if code:
            assert (await resp.json())["code"] == code
    assert (await client.get(url, headers=stranger.auth)).status == 403
    assert (await client.delete(f"{url}{ravi['id']}/", headers=asha.auth)).status == 403
    assert db_rows("SELECT count(*) FROM mutes") == [(0,)] and db_rows("SELECT count(*) FROM audit") == [(0,)]
    for actor, target in ((owner, mod2), (root, mod)):
        assert (await client.post(url, json={"user_id": target["id"], "duration": 60}, headers=actor.auth)).status == 201
    assert db_rows("SELECT user_id, actor_id FROM mutes ORDER BY user_id") == [(mod["id"], root["id"]), (mod2["id"], owner["id"])]


async def test_a_mute_past_its_time_is_over(client, register, make_room, config):
    owner, asha = await register("Olga"), await register("Asha")
    room = await make_room(owner, asha)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    assert (await client.post(url, json={"user_id": asha["id"], "duration": 60}, headers=owner.auth)).status == 201
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="microseconds")
    conn = sqlite3.connect(config.db)
    with conn:
        conn.execute("UPDATE mutes SET until = ?", (past,))
    conn.close()
    assert await (await client.get(url, headers=owner.auth)).json() == []
    assert (await client.delete(f"{url}{asha['id']}/", headers=owner.auth)).status == 404
