"""The seed document's frames, sent verbatim, produce the documented results."""

from __future__ import annotations

import pytest

from conftest import recv


@pytest.fixture
def config(config):
    """The seed's conversation sends sixty messages at once: no rate limit here."""
    return config.replace(rate_limit=0)

KOTLIN_HELLO = '{"message": "Hello, world!", "message_type": "text"}'
SEND = '{\n    "action" : "send_message",\n    "message": "hello everyone",\n    "message_type": "text"\n}'
EDIT = '{\n    "action": "edit_message",\n    "new_content": "hello csi members of 2nd year",\n    "message_id": 43\n}'
REACT = '{\n    "action" : "react_message",\n    "message_id" : 43,\n    "reaction" : "Like"\n}'
MENTION = ('{\n    "action": "send_message",\n    "message": "hello @achal and @sparsh",\n'
           '    "message_type": "text", \n    "mentions" : [13, 15]\n}')
DELETE = '{\n    "action" : "delete_message",\n    "message_id" : 59\n}'


def seed_keys(frame: dict, *extra: str) -> dict:
    """The keys the seed shows for an action frame (the message's state rides beside them)."""
    return {k: frame[k] for k in ("action", "id", *extra)}


async def test_seed_conversation_verbatim(client, register, make_room, connect):
    # Fifteen users, so that the seed's mention ids 13 and 15 name members, as in the seed.
    people = [await register(f"User{i}") for i in range(1, 16)]
    anagh = people[0]
    assert [p["id"] for p in people] == list(range(1, 16))
    room = await make_room(anagh, *people[1:])
    ws = await connect(anagh, room["id"])
    other = await connect(people[12], room["id"])

    await ws.send_str(KOTLIN_HELLO)
    hello = await recv(ws)
    assert hello["message"] == "Hello, world!" and hello["message_type"] == "text" and hello["id"] == 1
    while True:  # fill up to the seed's message ids
        await ws.send_str('{"message": "filler"}')
        if (await recv(ws))["id"] == 42:
            break
    await ws.send_str(SEND)
    sent = await recv(ws)
    assert sent["id"] == 43 and sent["message"] == "hello everyone" and sent["attachment"] is None
    assert sent["sender"] == {"name": "User1", "photo": None, "id": 1, "role": "member"}
    assert sent["room"] == room["id"]

    await ws.send_str(EDIT)
    edited = await recv(ws)
    assert seed_keys(edited, "new_content") == {
        "action": "edited", "id": 43, "new_content": "hello csi members of 2nd year"}
    assert edited["message"] == "hello csi members of 2nd year" and edited["is_self"] is True
    await ws.send_str(REACT)
    reacted = await recv(ws)
    assert seed_keys(reacted, "reactions") == {"action": "reacted", "id": 43, "reactions": {"Like": 1}}
    assert reacted["message"] == "hello csi members of 2nd year"

    for expected in range(44, 59):
        await ws.send_str('{"message": "filler"}')
        assert (await recv(ws))["id"] == expected
    await ws.send_str(MENTION)
    mention = await recv(ws)
    assert mention["id"] == 59 and mention["message"] == "hello @achal and @sparsh"
    assert mention["mentions"] == [13, 15]
    await ws.send_str(DELETE)
    deleted = await recv(ws)
    assert seed_keys(deleted) == {"action": "deleted", "id": 59}
    assert deleted["message"] == "" and deleted["mentions"] == []

    history = await (await client.post(f"/api/chat/groups/{room['id']}/messages/", headers=anagh.auth)).json()
    by_id = {m["id"]: m for m in history}
    assert by_id[59]["is_deleted"] is True and by_id[59]["content"] == ""
    assert by_id[43]["content"] == "hello csi members of 2nd year" and by_id[43]["is_edited"] is True
    assert by_id[43]["reactions"] == {"Like": 1}
    frames = []
    while len(frames) < 62:
        frames.append(await recv(other))
    assert [f.get("id") for f in frames if "action" not in f] == list(range(1, 60))
    await ws.close()
    await other.close()
