"""Pins: a room's moderators (and its members when the room allows it) pin up to CHAT_MAX_PINS messages."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import recv, recv_until


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


def _promote(config, room: dict, user: dict) -> None:
    conn = sqlite3.connect(config.db)
    with conn:
        conn.execute("UPDATE members SET moderator = 1 WHERE room_id = ? AND user_id = ?", (room["id"], user["id"]))
    conn.close()


def _pin(message: dict, pin: bool = True) -> dict:
    return {"action": "pin_message", "message_id": message["id"], "pin": pin}


async def test_owner_and_moderators_pin_members_when_allowed_up_to_the_limit(
        client, register, make_room, connect, config, db_rows):
    owner, mod, asha = await register("Olga"), await register("Mo"), await register("Asha")
    room = await make_room(owner, mod, asha)
    _promote(config, room, mod)
    ws_o, ws_m, ws_a = [await connect(u, room["id"]) for u in (owner, mod, asha)]
    sent = [await _send(ws_a, f"m{i}") for i in range(5)]
    for ws in (ws_o, ws_m):
        for _ in sent:
            await recv(ws)

    await ws_o.send_json(_pin(sent[0]))
    pinned = await recv(ws_a)
    assert (pinned["action"], pinned["id"], pinned["is_pinned"], pinned["pinned_by"]) == (
        "message_pinned", sent[0]["id"], True, owner["id"])
    assert pinned["seq"] == sent[-1]["seq"] + 1 and pinned["pinned_at"] and pinned["message"] == "m0"
    assert (await recv(ws_o))["is_self"] is False and (await recv(ws_m))["id"] == sent[0]["id"]

    await ws_a.send_json(_pin(sent[1]))  # a member, while the room does not let members pin
    refused = await recv(ws_a)
    assert (refused["action"], refused["code"]) == ("error", "forbidden")
    await ws_m.send_json(_pin(sent[1]))
    assert (await recv(ws_a))["id"] == sent[1]["id"] and (await recv(ws_m))["id"] == sent[1]["id"]
    await ws_m.send_json(_pin(sent[1]))
    assert (await recv(ws_m))["code"] == "invalid"  # pinned already

    assert (await client.patch(f"/api/chat/edit-group/{room['id']}/", json={"members_may_pin": True},
                               headers=owner.auth)).status == 200
    await ws_a.send_json(_pin(sent[2]))
    assert (await recv(ws_a))["pinned_by"] == asha["id"]
    await ws_a.send_json(_pin(sent[3]))  # a fourth: past CHAT_MAX_PINS (3)
    full = await recv(ws_a)
    assert (full["code"], full["limit"]) == ("too_many_pins", 3)
    await ws_a.send_json(_pin(sent[0], False))
    unpinned = await recv(ws_a)
    assert (unpinned["is_pinned"], unpinned["pinned_at"], unpinned["pinned_by"]) == (False, None, None)
    await ws_a.send_json(_pin(sent[3]))
    assert (await recv(ws_a))["is_pinned"] is True
    assert [row[0] for row in db_rows("SELECT id FROM messages WHERE pinned_at IS NOT NULL ORDER BY id")] == [
        sent[1]["id"], sent[2]["id"], sent[3]["id"]]
    pins = await (await client.get(f"/api/chat/groups/{room['id']}/pins/", headers=asha.auth)).json()
    assert [p["id"] for p in pins] == [sent[3]["id"], sent[2]["id"], sent[1]["id"]]
    for ws in (ws_o, ws_m, ws_a):
        await ws.close()


@pytest.fixture
async def pair(register, make_room):
    """Olga owns a room, Asha is a member."""
    owner, asha = await register("Olga"), await register("Asha")
    return owner, asha, await make_room(owner, asha)


async def test_pins_are_events_replayed_on_resume_and_a_deletion_unpins(client, pair, connect):
    owner, asha, room = pair
    ws = await connect(owner, room["id"])
    message = await _send(ws, "keep this")
    await ws.send_json(_pin(message))
    pinned = await recv(ws)
    resumed = await connect(asha, room["id"], f"&after_seq={message['seq']}")
    assert (await recv_until(resumed, lambda f: f["action"] != "resumed")) == {**pinned, "is_self": False}
    events = await (await client.get(f"/api/chat/groups/{room['id']}/events/?after_seq=0", headers=asha.auth)).json()
    assert [e.get("action") for e in events["events"]] == [None, "message_pinned"]

    await ws.send_json({"action": "delete_message", "message_id": message["id"]})
    assert (await recv(ws))["action"] == "deleted"
    assert await (await client.get(f"/api/chat/groups/{room['id']}/pins/", headers=asha.auth)).json() == []
    replay = await connect(asha, room["id"], "&after_seq=0")
    frames = [await recv(replay) for _ in range(4)]
    assert [f.get("action") for f in frames] == ["resumed", None, "message_pinned", "deleted"]
    assert frames[2]["message"] == "" and frames[1]["message"] == ""  # blanked with the message
    await ws.send_json(_pin(message))
    assert (await recv(ws))["code"] == "deleted"
    for socket in (ws, resumed, replay):
        await socket.close()


async def test_pinning_over_rest_is_the_same_change(client, pair, connect):
    owner, asha, room = pair
    ws = await connect(asha, room["id"])
    message = await _send(ws, "agenda")
    url = f"/api/chat/groups/{room['id']}/pins/"
    refused = await client.post(url, json={"message_id": message["id"], "pin": True}, headers=asha.auth)
    assert refused.status == 403 and (await refused.json())["code"] == "forbidden"
    resp = await client.post(url, json={"message_id": message["id"], "pin": True}, headers=owner.auth)
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    assert (answer["id"], answer["is_pinned"], answer["pinned_by"]) == (message["id"], True, owner["id"])
    frame = await recv(ws)
    assert (frame["action"], frame["pinned_at"]) == ("message_pinned", answer["pinned_at"])
    for body in ({"message_id": message["id"], "pin": "yes"}, {"message_id": 10**6, "pin": True}):
        assert (await client.post(url, json=body, headers=owner.auth)).status in (400, 404)
    await ws.close()
