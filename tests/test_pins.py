"""Pins: a room's moderators (and its members when the room allows it) pin up to CHAT_MAX_PINS messages."""

from __future__ import annotations

import sqlite3

from conftest import recv


async def _send(ws, text: str) -> dict:
    await ws.send_json({"message": text})
    return await recv(ws)


async def test_the_owner_lets_members_pin_and_every_room_object_says_so(client, register, make_room, db_rows):
    owner, asha = await register("Olga"), await register("Asha")
    room = await make_room(owner, asha)
    assert room["members_may_pin"] is False
    url = f"/api/chat/edit-group/{room['id']}/"
    assert (await client.patch(url, json={"members_may_pin": True}, headers=asha.auth)).status == 403
    for bad in (1, "true", None):
        resp = await client.patch(url, json={"members_may_pin": bad}, headers=owner.auth)
        assert resp.status == 400 and "members_may_pin" in await resp.json()
    assert db_rows("SELECT members_may_pin FROM rooms") == [(0,)]
    resp = await client.patch(url, json={"members_may_pin": True}, headers=owner.auth)
    assert resp.status == 200 and (await resp.json())["room"]["members_may_pin"] is True
    joined = await (await client.get("/api/chat/groups/", headers=asha.auth)).json()
    assert [(r["members_may_pin"], r["room_role"]) for r in joined] == [(True, "member")]
    listed = await (await client.get("/api/chat/groups/list/", headers=asha.auth)).json()
    assert [r["members_may_pin"] for r in listed] == [True]


async def test_pinned_messages_are_listed_to_members_and_marked_in_history(
        client, register, make_room, connect, config):
    owner, asha, stranger = await register("Olga"), await register("Asha"), await register("Stan")
    room = await make_room(owner, asha)
    ws = await connect(owner, room["id"])
    first, second, third = [await _send(ws, text) for text in ("one", "two", "three")]
    conn = sqlite3.connect(config.db)
    with conn:  # pinned as the write path pins, first then third
        conn.execute("UPDATE messages SET pinned_at = '2026-12-01T05:00:00.000000+00:00', pinned_by = ? WHERE id = ?",
                     (owner["id"], first["id"]))
        conn.execute("UPDATE messages SET pinned_at = '2026-12-01T05:01:00.000000+00:00', pinned_by = ? WHERE id = ?",
                     (owner["id"], third["id"]))
    conn.close()
    url = f"/api/chat/groups/{room['id']}/pins/"
    pins = await (await client.get(url, headers=asha.auth)).json()
    assert [(p["id"], p["is_pinned"], p["pinned_by"]) for p in pins] == [
        (third["id"], True, owner["id"]), (first["id"], True, owner["id"])]
    assert (await client.get(url, headers=stranger.auth)).status == 403
    assert (await client.get(f"/api/chat/groups/{10**6}/pins/", headers=asha.auth)).status == 404
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert [(m["id"], m["is_pinned"], m["pinned_at"]) for m in history] == [
        (third["id"], True, "2026-12-01T05:01:00.000000+00:00"), (second["id"], False, None),
        (first["id"], True, "2026-12-01T05:00:00.000000+00:00")]
    await ws.close()
