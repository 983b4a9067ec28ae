"""Every client action over real sockets: exact broadcast shapes, rules and error codes."""

from __future__ import annotations

import sqlite3

import aiohttp
import pytest

from conftest import read_rows, recv, recv_until, silent

SENDER_KEYS = {"name", "photo", "id", "role"}
MESSAGE_KEYS = {"message", "sender", "message_type", "id", "attachment", "created_at", "room",
                "room_name", "is_self", "parent_message", "parent_message_id", "mentions", "reactions", "seq"}


def but_is_self(frame: dict) -> dict:
    """A frame without its per-recipient is_self."""
    return {k: v for k, v in frame.items() if k != "is_self"}


@pytest.fixture
async def pair(seat_two):
    """Asha and Ravi, both members of one room, each with an open socket."""
    asha, ravi, room, ws_a, ws_r = await seat_two()
    yield asha, ravi, room, ws_a, ws_r
    await ws_a.close()
    await ws_r.close()


def count_rows(config, table: str) -> int:
    return read_rows(config.db, f"SELECT count(*) FROM {table}")[0][0]


async def test_send_reaches_everyone_in_the_exact_shape(pair):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"action": "send_message", "message": "  hello everyone ", "message_type": "text"})
    mine, theirs = await recv(ws_a), await recv(ws_r)
    assert set(mine) == MESSAGE_KEYS and set(theirs) == MESSAGE_KEYS
    assert mine["is_self"] is True and theirs["is_self"] is False
    assert {k: v for k, v in mine.items() if k != "is_self"} == {k: v for k, v in theirs.items() if k != "is_self"}
    assert theirs["message"] == "hello everyone"
    assert theirs["sender"] == {"name": "Asha", "photo": None, "id": asha["id"], "role": "member"}
    assert theirs["room"] == room["id"] and isinstance(theirs["room"], int)
    assert theirs["room_name"] == room["name"]
    assert theirs["message_type"] == "text" and theirs["attachment"] is None
    assert theirs["parent_message"] is None and theirs["parent_message_id"] is None
    assert theirs["mentions"] == [] and theirs["reactions"] == {} and theirs["seq"] == 1
    assert theirs["created_at"].endswith("+00:00")


async def test_frame_without_action_is_a_send(pair):
    _, _, _, ws_a, ws_r = pair
    await ws_a.send_str('{"message": "Hello, world!", "message_type": "text"}')
    assert (await recv(ws_r))["message"] == "Hello, world!"


async def test_seq_increases_by_one_per_change(pair):
    _, _, _, ws_a, ws_r = pair
    await ws_a.send_json({"message": "one"})
    first = await recv(ws_r)
    await ws_a.send_json({"action": "edit_message", "message_id": first["id"], "new_content": "uno"})
    await ws_r.send_json({"action": "react_message", "message_id": first["id"], "reaction": "Like"})
    await ws_a.send_json({"message": "two"})
    seqs = [first["seq"]] + [(await recv(ws_r))["seq"] for _ in range(3)]
    assert seqs == [1, 2, 3, 4]


async def test_edit_broadcasts_and_only_the_sender_may(pair, client):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"message": "draft"})
    msg = await recv(ws_r)
    await recv(ws_a)
    await ws_r.send_json({"action": "edit_message", "message_id": msg["id"], "new_content": "hijack"})
    err = await recv(ws_r)
    assert err["action"] == "error" and err["code"] == "forbidden" and err["error"]
    assert await silent(ws_a)
    await ws_a.send_json({"action": "edit_message", "message_id": msg["id"], "new_content": "final"})
    edited = await recv(ws_r)
    assert edited == {**msg, "action": "edited", "new_content": "final", "message": "final", "seq": 2}
    assert await recv(ws_a) == {**edited, "is_self": True}
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=ravi.auth)).json()
    assert history[0]["content"] == "final" and history[0]["is_edited"] is True


async def test_delete_erases_content_and_blocks_edit_and_react(pair, client, config):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"message": "secret", "mentions": [ravi["id"]]})
    msg = await recv(ws_r)
    await recv(ws_a)
    await ws_r.send_json({"action": "react_message", "message_id": msg["id"], "reaction": "Heart"})
    await recv(ws_r)
    await recv(ws_a)
    await ws_r.send_json({"action": "delete_message", "message_id": msg["id"]})
    assert (await recv(ws_r))["code"] == "forbidden"
    await ws_a.send_json({"action": "delete_message", "message_id": msg["id"]})
    assert await recv(ws_r) == {**msg, "action": "deleted", "message": "", "mentions": [], "seq": 3,
                                "deleted_by": {"id": asha["id"], "name": "Asha"}}
    assert (await recv(ws_a))["is_self"] is True
    for frame in ({"action": "edit_message", "message_id": msg["id"], "new_content": "again"},
                  {"action": "react_message", "message_id": msg["id"], "reaction": "Like"},
                  {"action": "delete_message", "message_id": msg["id"]}):
        await ws_a.send_json(frame)
        assert (await recv(ws_a))["code"] == "deleted"
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=ravi.auth)).json()
    gone = history[0]
    assert gone["is_deleted"] is True and gone["content"] == "" and gone["reactions"] is None
    assert gone["attachment"] is None and gone["mentions"] == []
    with sqlite3.connect(config.db) as conn:
        assert conn.execute("SELECT content FROM messages WHERE id = ?", (msg["id"],)).fetchone() == ("",)
        frames = [r[0] for r in conn.execute("SELECT frame FROM events WHERE message_id = ?", (msg["id"],))]
    assert frames and not any("secret" in f for f in frames)


async def test_reactions_one_per_user_replace_and_toggle(pair, register):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"message": "react to me"})
    msg = await recv(ws_r)
    await recv(ws_a)

    async def react(ws, reaction):
        await ws.send_json({"action": "react_message", "message_id": msg["id"], "reaction": reaction})
        frame = await recv(ws_a)
        theirs = await recv(ws_r)
        assert theirs == {**msg, "action": "reacted", "reactions": frame["reactions"], "seq": theirs["seq"]}
        assert but_is_self(frame) == but_is_self(theirs) and frame["is_self"] is True
        return frame["reactions"]

    assert await react(ws_r, "Like") == {"Like": 1}
    assert await react(ws_a, "Like") == {"Like": 2}
    assert await react(ws_r, "Like") == {"Like": 1}
    assert await react(ws_a, "HaHa") == {"HaHa": 1}
    assert await react(ws_a, "HaHa") == {}


async def test_mentions_only_of_members(pair, register):
    asha, ravi, room, ws_a, ws_r = pair
    stranger = await register("Stranger")
    await ws_a.send_json({"message": "hi @ravi", "mentions": [ravi["id"], ravi["id"]]})
    assert (await recv(ws_r))["mentions"] == [ravi["id"]]
    await recv(ws_a)
    await ws_a.send_json({"message": "hi @x", "mentions": [stranger["id"]], "client_id": "m-1"})
    err = await recv(ws_a)
    assert err["code"] == "invalid_mention" and err["client_id"] == "m-1" and err["user_ids"] == [stranger["id"]]
    assert await silent(ws_r)


async def test_reply_names_a_message_of_the_same_room(pair, register, make_room, connect):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"message": "question"})
    question = await recv(ws_r)
    await recv(ws_a)
    await ws_r.send_json({"message": "answer", "parent_message_id": question["id"]})
    answer = await recv(ws_a)
    assert answer["parent_message_id"] == question["id"]
    assert answer["parent_message"] == {"id": question["id"], "content": "question", "created_at": question["created_at"],
                                        "sender": {"id": asha["id"], "name": "Asha", "photo": None}}
    await recv(ws_r)
    other = await make_room(asha, name="elsewhere")
    ws_o = await connect(asha, other["id"])
    await ws_o.send_json({"message": "over here"})
    foreign = await recv(ws_o)
    await ws_o.close()
    await ws_a.send_json({"message": "reply", "parent_message": foreign["id"]})
    assert (await recv(ws_a))["code"] == "not_found"


async def test_other_rooms_messages_are_not_found(pair, make_room, connect):
    asha, ravi, room, ws_a, ws_r = pair
    other = await make_room(asha, name="other")
    ws_o = await connect(asha, other["id"])
    await ws_o.send_json({"message": "elsewhere"})
    foreign = await recv(ws_o)
    await ws_o.close()
    for frame in ({"action": "edit_message", "message_id": foreign["id"], "new_content": "x"},
                  {"action": "delete_message", "message_id": foreign["id"]},
                  {"action": "react_message", "message_id": foreign["id"], "reaction": "Like"},
                  {"action": "delete_message", "message_id": 999999}):
        await ws_a.send_json(frame)
        assert (await recv(ws_a))["code"] == "not_found"
    assert await silent(ws_r)


BAD_FRAMES = [
    ("not json", "invalid_json"),
    ("[1, 2]", "invalid"),
    ('"text"', "invalid"),
    ('{"action": "fly"}', "unknown_action"),
    ('{"action": 5}', "unknown_action"),
    ('{"action": "send_message"}', "invalid"),
    ('{"message": "   "}', "invalid"),
    ('{"message": 5}', "invalid"),
    ('{"message": "x", "message_type": "image"}', "invalid"),
    ('{"message": "x", "mentions": "1"}', "invalid"),
    ('{"message": "x", "mentions": [true]}', "invalid"),
    ('{"message": "x", "client_id": "' + "c" * 65 + '"}', "invalid"),
    ('{"action": "edit_message", "message_id": "1", "new_content": "x"}', "invalid"),
    ('{"action": "edit_message", "message_id": -1, "new_content": "x"}', "invalid"),
    ('{"action": "edit_message", "message_id": 1.5, "new_content": "x"}', "invalid"),
    ('{"action": "edit_message", "message_id": true, "new_content": "x"}', "invalid"),
    ('{"action": "delete_message", "message_id": 99999999999999999999999}', "invalid"),
    ('{"action": "react_message", "message_id": 1, "reaction": "Love"}', "invalid"),
    ('{"message": ' + "[" * 100 + "]" * 100 + '}', "invalid"),
    ('{"message": "null \\u0000 inside"}', "invalid"),
]


@pytest.mark.parametrize("text, code", BAD_FRAMES)
async def test_refused_frames_get_an_error_and_change_nothing(pair, config, text, code):
    _, _, _, ws_a, ws_r = pair
    await ws_a.send_str(text)
    err = await recv(ws_a)
    assert err["action"] == "error" and err["code"] == code and isinstance(err["error"], str)
    if code == "invalid":
        assert isinstance(err["fields"], dict)
    assert await silent(ws_r)
    assert count_rows(config, "messages") == 0 and count_rows(config, "events") == 0
    await ws_a.send_json({"message": "still usable"})
    assert (await recv(ws_a))["message"] == "still usable"


async def test_message_length_limit_after_trimming(pair):
    _, _, _, ws_a, _ = pair
    await ws_a.send_json({"message": " " * 10 + "x" * 4000 + " " * 10})
    assert len((await recv(ws_a))["message"]) == 4000
    await ws_a.send_json({"message": "x" * 4001, "client_id": "long"})
    err = await recv(ws_a)
    assert err["code"] == "invalid" and "message" in err["fields"] and err["client_id"] == "long"


async def test_binary_frames_are_unsupported(pair):
    _, _, _, ws_a, _ = pair
    await ws_a.send_bytes(b"\x00\x01")
    assert (await recv(ws_a))["code"] == "unsupported"
    await ws_a.send_json({"message": "text works"})
    assert (await recv(ws_a))["message"] == "text works"


async def test_typing_goes_to_everyone_else_and_is_not_stored(pair, config):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"action": "typing"})
    expected = {"action": "typing", "is_typing": True,
                "sender": {"name": "Asha", "photo": None, "id": asha["id"], "role": "member"}}
    assert await recv(ws_r) == expected
    await ws_a.send_json({"message": "after typing"})
    assert (await recv(ws_a))["message"] == "after typing"  # no typing frame came back first
    await recv(ws_r)
    await ws_a.send_json({"action": "stop_typing"})
    assert (await recv(ws_r))["is_typing"] is False
    assert count_rows(config, "events") == 1  # the message's alone


async def test_typing_beyond_five_a_second_is_dropped_quietly(pair):
    _, _, _, ws_a, ws_r = pair
    for _ in range(12):
        await ws_a.send_json({"action": "typing"})
    received = 0
    while True:
        try:
            frame = await recv(ws_r, timeout=0.3)
        except Exception:
            break
        assert frame["action"] == "typing"
        received += 1
    assert 5 <= received <= 6
    await ws_a.send_json({"message": "no error before me"})
    frame = await recv_until(ws_a, lambda f: f.get("action") != "typing")
    assert frame["message"] == "no error before me"


async def test_closing_the_last_socket_while_typing_clears_it(register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws_a1, ws_a2, ws_r = (await connect(asha, room["id"]), await connect(asha, room["id"]),
                          await connect(ravi, room["id"]))
    await ws_a1.send_json({"action": "typing"})
    assert (await recv(ws_r))["is_typing"] is True
    await ws_a1.close()
    assert await silent(ws_r, 0.3)  # Asha still has another socket in the room
    await ws_a2.send_json({"action": "typing"})
    assert (await recv(ws_r))["is_typing"] is True
    await ws_a2.close()
    frame = await recv(ws_r)
    assert frame["action"] == "typing" and frame["is_typing"] is False and frame["sender"]["id"] == asha["id"]
    await ws_r.close()


async def test_non_member_never_receives_frames(register, make_room, connect, client):
    """Ravi's socket to Asha's room is refused (403, before the upgrade); what she says there reaches
    none of his sockets, while what she says in a room they share does, first."""
    asha, ravi = await register("Asha"), await register("Ravi")
    room, shared = await make_room(asha), await make_room(asha, ravi)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await connect(ravi, room["id"])
    assert err.value.status == 403
    refused = await client.get(f"/ws/chat/{room['id']}/?token={ravi.token}")
    assert (refused.status, (await refused.json())["code"]) == (403, "forbidden")
    stream, ws_r = await client.ws_connect(f"/ws/user/?token={ravi.token}"), await connect(ravi, shared["id"])
    ws_a, ws_shared = await connect(asha, room["id"]), await connect(asha, shared["id"])
    await ws_a.send_json({"message": "members only"})
    assert (await recv(ws_a))["message"] == "members only"
    await ws_shared.send_json({"message": "for both of us"})
    assert (await recv(ws_r))["message"] == "for both of us"  # nothing of the other room came before it
    assert (await recv(stream))["room_id"] == shared["id"]
    for ws in (stream, ws_r, ws_a, ws_shared):
        await ws.close()


async def test_a_renamed_room_sends_its_new_name(pair, client):
    asha, ravi, room, ws_a, ws_r = pair
    await ws_a.send_json({"message": "before"})
    assert (await recv(ws_r))["room_name"] == room["name"]
    await recv(ws_a)
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", json={"name": "renamed"}, headers=asha.auth)
    assert resp.status == 200
    await ws_a.send_json({"message": "after"})
    frame = await recv(ws_r)
    assert frame["room_name"] == "renamed" and frame["seq"] == 2
