"""Search over REST: only what the caller may read now, by its current text, in every script."""

from __future__ import annotations

import pytest

from conftest import recv
from upload_support import PNG, form

RESULT_KEYS = {"message", "room", "snippet"}


@pytest.fixture
def config(config):
    """These tests send many messages quickly."""
    return config.replace(rate_limit=0)


@pytest.fixture
async def talk(register, make_room, connect):
    """Asha and Ravi in one room; say(text) sends as Asha and returns the stored message."""
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await connect(asha, room["id"])

    async def say(text: str) -> dict:
        await ws.send_json({"message": text})
        return await recv(ws)
    yield asha, ravi, room, ws, say
    await ws.close()


async def search(client, user, q: str, status: int = 200, **params) -> dict:
    resp = await client.get("/api/chat/search/", params={"q": q, **params}, headers=user.auth)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def found(client, user, q: str, **params) -> list[int]:
    return [hit["message"]["id"] for hit in (await search(client, user, q, **params))["results"]]


async def test_a_hit_is_the_history_message_with_its_room_and_a_marked_snippet(client, talk):
    asha, ravi, room, ws, say = talk
    msg = await say("When is the meeting? The Meeting is at noon")
    body = await search(client, ravi, "meeting")
    assert body["next_before"] is None and len(body["results"]) == 1
    hit = body["results"][0]
    assert set(hit) == RESULT_KEYS
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=ravi.auth)).json()
    assert hit["message"] == history[0] and hit["message"]["is_self"] is False
    assert hit["room"] == {"id": room["id"], "name": room["name"], "kind": "public"}
    text = hit["snippet"]["text"]
    assert text == msg["message"]
    assert [text[s:e] for s, e in hit["snippet"]["highlights"]] == ["meeting", "Meeting"]
    assert (await search(client, asha, "meeting"))["results"][0]["message"]["is_self"] is True


async def test_every_word_must_match_in_any_order(client, talk):
    asha, ravi, room, ws, say = talk
    both = await say("bring the blue tent")
    await say("bring snacks")
    assert await found(client, ravi, "tent bring") == [both["id"]]
    assert await found(client, ravi, "tent missing") == []


async def test_phrases_match_words_in_order(client, talk):
    asha, ravi, room, ws, say = talk
    right = await say("the board meeting moved")
    await say("meeting of the board")
    assert await found(client, ravi, '"board meeting"') == [right["id"]]
    assert await found(client, ravi, '"meeting board"') == []


async def test_a_trailing_star_matches_prefixes_and_highlights_the_whole_word(client, talk):
    asha, ravi, room, ws, say = talk
    msg = await say("Tournament registration closes Friday")
    body = await search(client, ravi, "regist*")
    assert [h["message"]["id"] for h in body["results"]] == [msg["id"]]
    hit = body["results"][0]["snippet"]
    assert [hit["text"][s:e] for s, e in hit["highlights"]] == ["registration"]
    assert await found(client, ravi, "regist") == []
