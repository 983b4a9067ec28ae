"""The shapes the club's Android app and the web client parse: history, live and replayed frames, times."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone

import pytest

from chatserver.storage.db import iso
from chatserver.storage.migrations import SCHEMA_VERSION
from conftest import recv
from contract_support import check, server_frame
from older_files import as_version
from upload_support import PNG, form

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
STATE_KEYS = {"message", "sender", "message_type", "id", "attachment", "created_at", "room", "room_name",
              "is_self", "parent_message", "parent_message_id", "mentions", "reactions"}
FRAME_KEYS = {
    "message": STATE_KEYS | {"seq"},
    "edited": STATE_KEYS | {"action", "new_content", "seq"},
    "reacted": STATE_KEYS | {"action", "seq"},
    "deleted": STATE_KEYS | {"action", "seq", "deleted_by"},
}
HISTORY_KEYS = {"id", "sender", "attachment", "message_type", "content", "reactions", "is_deleted", "is_edited",
                "is_self", "status", "created_at", "updated_at", "room", "parent_message", "parent_message_id",
                "mentions", "seq", "is_pinned", "pinned_at", "pinned_by"}
TYPING_KEYS = {"action", "sender", "is_typing"}


@pytest.fixture
def config(config):
    """Quick bursts of actions must not meet the rate limit."""
    return config.replace(rate_limit=0)


@pytest.fixture
async def talk(register, make_room, connect):
    """Asha (two devices) and Ravi in one room."""
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    sockets = [await connect(asha, room["id"]), await connect(asha, room["id"]), await connect(ravi, room["id"])]
    yield asha, ravi, room, *sockets
    for ws in sockets:
        await ws.close()


def app_frame(frame: dict, kind: str) -> dict:
    """A frame as the app takes it: the exact keys of its kind, the frame schema, full-width times."""
    assert server_frame(frame) == kind
    assert set(frame) == FRAME_KEYS[kind], set(frame) ^ FRAME_KEYS[kind]
    assert set(frame["sender"]) == {"name", "photo", "id", "role"}
    assert TIME.match(frame["created_at"]), frame["created_at"]
    if frame["parent_message"] is not None:
        assert TIME.match(frame["parent_message"]["created_at"])
    return frame


def state(frame: dict) -> dict:
    """What a client rebuilds a message from, whichever frame brought it."""
    return {k: frame[k] for k in STATE_KEYS - {"is_self"}}


async def everyone(asha_ws, asha_other, ravi_ws, kind: str) -> tuple[dict, dict, dict]:
    """The next frame on each of the three sockets, checked; Asha's two devices got the same one."""
    mine, other_device, theirs = [app_frame(await recv(ws), kind) for ws in (asha_ws, asha_other, ravi_ws)]
    assert other_device == mine
    assert {**theirs, "is_self": mine["is_self"]} == mine
    return mine, other_device, theirs


async def test_live_message_and_reply_frames(talk):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    await ws_a.send_json({"message": "question"})
    mine, _, theirs = await everyone(ws_a, ws_a2, ws_r, "message")
    assert (mine["is_self"], theirs["is_self"]) == (True, False)
    assert theirs["parent_message"] is None and theirs["parent_message_id"] is None and theirs["reactions"] == {}
    for key in ("parent_message_id", "parent_message"):
        await ws_r.send_json({"message": "answer", key: mine["id"]})
        asha_copy, _, ravi_copy = await everyone(ws_a, ws_a2, ws_r, "message")
        assert (asha_copy["is_self"], ravi_copy["is_self"]) == (False, True)
        assert ravi_copy["parent_message_id"] == mine["id"]
        assert ravi_copy["parent_message"] == {"id": mine["id"], "content": "question", "created_at": mine["created_at"],
                                               "sender": {"id": asha["id"], "name": "Asha", "photo": None}}


async def test_edited_reacted_deleted_frames_carry_the_message_for_the_app(talk, client):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    await ws_a.send_json({"message": "hello @Ravi", "mentions": [ravi["id"]]})
    sent, _, _ = await everyone(ws_a, ws_a2, ws_r, "message")
    await ws_a.send_json({"action": "edit_message", "message_id": sent["id"], "new_content": "hello again"})
    mine, _, theirs = await everyone(ws_a, ws_a2, ws_r, "edited")
    assert {k: theirs[k] for k in ("action", "id", "new_content")} == {
        "action": "edited", "id": sent["id"], "new_content": "hello again"}
    assert state(theirs) == {**state(sent), "message": "hello again"}
    assert (mine["is_self"], theirs["is_self"]) == (True, False)

    await ws_r.send_json({"action": "react_message", "message_id": sent["id"], "reaction": "Heart"})
    mine, _, theirs = await everyone(ws_a, ws_a2, ws_r, "reacted")
    assert {k: theirs[k] for k in ("action", "id", "reactions")} == {
        "action": "reacted", "id": sent["id"], "reactions": {"Heart": 1}}
    assert state(theirs) == {**state(sent), "message": "hello again", "reactions": {"Heart": 1}}
    assert (mine["is_self"], theirs["is_self"]) == (True, False)  # the message's sender, not the reactor

    url = f"/api/chat/groups/{room['id']}/messages/"
    [item] = await (await client.get(url, headers=ravi.auth)).json()
    assert (item["content"], item["reactions"], item["is_self"]) == (theirs["message"], theirs["reactions"], False)

    await ws_a.send_json({"action": "delete_message", "message_id": sent["id"]})
    mine, _, theirs = await everyone(ws_a, ws_a2, ws_r, "deleted")
    assert {k: theirs[k] for k in ("action", "id")} == {"action": "deleted", "id": sent["id"]}
    assert state(theirs) == {**state(sent), "message": "", "attachment": None, "mentions": [], "reactions": {}}
    assert (mine["is_self"], theirs["is_self"]) == (True, False)


async def test_history_pages_carry_is_self_and_the_replied_message(talk, client):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    await ws_a.send_json({"message": "question"})
    question = (await everyone(ws_a, ws_a2, ws_r, "message"))[0]
    await ws_r.send_json({"message": "answer", "parent_message_id": question["id"]})
    await everyone(ws_a, ws_a2, ws_r, "message")
    url = f"/api/chat/groups/{room['id']}/messages/"
    parent = {"id": question["id"], "content": "question", "created_at": question["created_at"],
              "sender": {"id": asha["id"], "name": "Asha", "photo": None}}
    for user in (asha, ravi):
        for method in ("GET", "POST"):
            for params, schema in (({}, {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}),
                                   ({"page": "1", "page_size": "5"}, {"$ref": "#/components/schemas/MessagePage"})):
                body = await (await client.request(method, url, params=params, headers=user.auth)).json()
                check(schema, body)
                answer, asked = body if isinstance(body, list) else body["results"]
                for item in (answer, asked):
                    assert set(item) == HISTORY_KEYS
                    assert item["is_self"] is (item["sender"]["id"] == user["id"])
                    assert TIME.match(item["created_at"]) and TIME.match(item["updated_at"])
                assert (answer["parent_message"], answer["parent_message_id"]) == (parent, question["id"])
                assert (asked["parent_message"], asked["parent_message_id"]) == (None, None)
    await ws_a.send_json({"action": "delete_message", "message_id": question["id"]})
    await everyone(ws_a, ws_a2, ws_r, "deleted")
    answer = (await (await client.get(url, headers=ravi.auth)).json())[0]
    assert answer["parent_message"] == {**parent, "content": ""}


async def test_the_upload_answer_carries_is_self_and_the_replied_message(talk, client):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    await ws_a.send_json({"message": "send a photo"})
    question = (await everyone(ws_a, ws_a2, ws_r, "message"))[0]
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", headers=ravi.auth,
                             data=form(PNG, "pic.png", "image/png", parent_message=str(question["id"])))
    assert resp.status == 201
    body = await resp.json()
    check({"$ref": "#/components/schemas/Message"}, body)
    assert body["is_self"] is True and body["parent_message_id"] == question["id"]
    assert body["parent_message"]["content"] == "send a photo"
    live = app_frame(await recv(ws_r), "message")
    assert live["is_self"] is True and live["parent_message"] == body["parent_message"]
    assert live["attachment"] == body["attachment"]


async def test_replays_have_the_live_shape_and_quote_nothing_deleted(talk, client, connect, config):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    await ws_a.send_json({"message": "the secret plan"})
    plan = (await everyone(ws_a, ws_a2, ws_r, "message"))[0]
    await ws_r.send_json({"message": "sounds good", "parent_message_id": plan["id"]})
    await everyone(ws_a, ws_a2, ws_r, "message")
    await ws_r.send_json({"action": "react_message", "message_id": plan["id"], "reaction": "Like"})
    await everyone(ws_a, ws_a2, ws_r, "reacted")
    await ws_a.send_json({"action": "edit_message", "message_id": plan["id"], "new_content": "the secret plan, v2"})
    await everyone(ws_a, ws_a2, ws_r, "edited")
    await ws_a.send_json({"action": "delete_message", "message_id": plan["id"]})
    await everyone(ws_a, ws_a2, ws_r, "deleted")
    kinds = ["message", "message", "reacted", "edited", "deleted"]
    for user in (asha, ravi):
        ws = await connect(user, room["id"], "&after_seq=0")
        assert server_frame(await recv(ws)) == "resumed"
        replay = [app_frame(await recv(ws), kind) for kind in kinds]
        await ws.close()
        events = (await (await client.get(f"/api/chat/groups/{room['id']}/events/", headers=user.auth)).json())
        check({"$ref": "#/components/schemas/Events"}, events)
        assert events["events"] == replay
        for frame in replay:
            assert frame["is_self"] is (frame["sender"]["id"] == user["id"])
            assert "secret" not in str(frame), frame
        assert replay[1]["parent_message"]["content"] == ""
    with sqlite3.connect(config.db) as conn:
        assert not any("secret" in frame for (frame,) in conn.execute("SELECT frame FROM events"))


async def test_typing_reaches_everyone_but_all_the_typists_sockets(talk):
    asha, ravi, room, ws_a, ws_a2, ws_r = talk
    for action, is_typing in (("typing", True), ("stop_typing", False)):
        await ws_a.send_json({"action": action})
        frame = await recv(ws_r)
        assert server_frame(frame) == "typing" and set(frame) == TYPING_KEYS
        assert frame == {"action": "typing", "is_typing": is_typing,
                         "sender": {"name": "Asha", "photo": None, "id": asha["id"], "role": "member"}}
    await ws_a.send_json({"message": "typed"})
    for ws in (ws_a, ws_a2, ws_r):  # the first frame either of Asha's devices sees is her message
        assert (await recv(ws))["message"] == "typed"
    await ws_r.send_json({"action": "typing"})
    for ws in (ws_a, ws_a2):
        assert (await recv(ws))["sender"]["id"] == ravi["id"]


def test_times_keep_their_microseconds_when_they_are_zero():
    moment = datetime(2026, 11, 25, 20, 30, tzinfo=timezone.utc)
    assert iso(moment) == "2026-11-25T20:30:00.000000+00:00"


async def test_an_older_file_is_upgraded_times_widened_and_logged_frames_in_the_new_shape(
        make_client, config, register, make_room, connect, tmp_path):
    config = config.replace(db=str(tmp_path / "older.db"))
    first = await make_client(config)
    asha = await register("Asha", cl=first)
    room = await make_room(asha, cl=first)
    ws = await connect(asha, room["id"], cl=first)
    for frame in ({"message": "from before"}, {"message": "a reply", "parent_message": 1},
                  {"action": "edit_message", "message_id": 1, "new_content": "from before, edited"},
                  {"action": "react_message", "message_id": 1, "reaction": "Like"}):
        await ws.send_json(frame)
        await recv(ws)
    await ws.close()
    await first.close()
    short = "2026-11-25T20:30:00+00:00"
    with sqlite3.connect(config.db) as conn:  # as the server before left it: times and frames
        for table, columns in (("users", ("created_at", "updated_at")), ("tokens", ("created_at",)),
                               ("rooms", ("created_at", "updated_at")), ("members", ("joined_at",)),
                               ("messages", ("created_at", "updated_at")), ("events", ("created_at",))):
            for column in columns:
                conn.execute(f"UPDATE {table} SET {column} = ?", (short,))
        conn.execute("UPDATE events SET frame = json_remove(json_set(frame, '$.created_at', ?, '$.parent_message',"
                     " frame -> '$.parent_message.id'), '$.parent_message_id', '$.reactions') WHERE kind = 'created'",
                     (short,))
        conn.execute("UPDATE events SET frame = json_object('action', kind, 'id', message_id, 'new_content',"
                     " frame ->> '$.new_content', 'seq', seq) WHERE kind = 'edited'")
        conn.execute("UPDATE events SET frame = json_object('action', kind, 'id', message_id, 'reactions',"
                     " json(frame -> '$.reactions'), 'seq', seq) WHERE kind = 'reacted'")
        as_version(conn, 1)
        assert '"parent_message":1,' in conn.execute("SELECT frame FROM events WHERE seq = 2").fetchone()[0]
    again = await make_client(config)
    full = "2026-11-25T20:30:00.000000+00:00"
    [listed] = await (await again.get("/api/chat/groups/", headers=asha.auth)).json()
    assert (listed["created_at"], listed["updated_at"]) == (full, full)
    history = await (await again.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert {(m["created_at"], m["updated_at"]) for m in history} == {(full, full)}
    events = (await (await again.get(f"/api/chat/groups/{room['id']}/events/", headers=asha.auth)).json())["events"]
    kinds = ["message", "message", "edited", "reacted"]
    assert [app_frame(frame, kind)["created_at"] for frame, kind in zip(events, kinds)] == [full] * 4
    assert events[1]["parent_message"] == {"id": 1, "content": "from before, edited", "created_at": full,
                                           "sender": {"id": asha["id"], "name": "Asha", "photo": None}}
    assert (events[2]["message"], events[3]["reactions"]) == ("from before, edited", {"Like": 1})
    assert all(frame["is_self"] for frame in events)
    with sqlite3.connect(config.db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        times = {t for (t,) in conn.execute(
            "SELECT created_at FROM users UNION SELECT joined_at FROM members UNION SELECT created_at FROM tokens"
            " UNION SELECT created_at FROM events UNION SELECT frame ->> '$.created_at' FROM events")}
    assert times == {full}
    await again.close()
