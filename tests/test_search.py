"""Search over REST: only what the caller may read now, by its current text, in every script."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import recv
from fuzz_support import EDGE_TEXT, FUZZ
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


async def marks(client, user, q: str) -> list[tuple[int, list[str]]]:
    """Each hit's message id and the texts its snippet highlights."""
    hits = (await search(client, user, q))["results"]
    return [(h["message"]["id"], [h["snippet"]["text"][s:e] for s, e in h["snippet"]["highlights"]]) for h in hits]


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
    assert await marks(client, ravi, "regist*") == [(msg["id"], ["registration"])]
    assert await found(client, ravi, "regist") == []


async def test_prefixes_of_every_length_find_the_current_text_only(client, talk, config):
    asha, ravi, room, ws, say = talk
    kept = await say("Thursday thunder")
    gone = await say("theatre tickets")
    await ws.send_json({"action": "edit_message", "message_id": kept["id"], "new_content": "Écoute Tuesday"})
    await recv(ws)
    await ws.send_json({"action": "delete_message", "message_id": gone["id"]})
    await recv(ws)
    for q in ("t*", "tu*", "tue*", "tues*", "é*", "ec*", "eco*"):
        assert await found(client, ravi, q) == [kept["id"]], q
    for q in ("th*", "thu*", "thea*", "ti*"):
        assert await found(client, ravi, q) == [], q
    # The prefix lists agree with the words they were built from (FTS5 checks one against the other).
    with sqlite3.connect(config.db) as conn:
        conn.execute("INSERT INTO search_words (search_words, rank) VALUES ('integrity-check', 0)")


async def test_a_member_removed_from_a_room_stops_finding_its_messages_at_once(client, talk, register):
    asha, ravi, room, ws, say = talk
    msg = await say("the locker code is 4711")
    assert await found(client, ravi, "locker") == [msg["id"]]
    resp = await client.delete(f"/api/chat/groups/{room['id']}/members/{ravi['id']}/", headers=asha.auth)
    assert resp.status == 200
    assert await found(client, ravi, "locker") == []
    stranger = await register("Meera")
    assert await found(client, stranger, "locker") == []


async def test_a_member_who_leaves_stops_finding_the_rooms_messages_at_once(client, talk):
    asha, ravi, room, ws, say = talk
    msg = await say("the spare key is under the mat")
    assert await found(client, ravi, "spare key") == [msg["id"]]
    resp = await client.post(f"/api/chat/group/{room['id']}/remove-yourself/", headers=ravi.auth)
    assert resp.status == 200
    assert await found(client, ravi, "spare key") == []


async def test_a_long_message_shows_a_window_around_its_first_match_in_code_points(client, talk):
    asha, ravi, room, ws, say = talk
    text = ("😀 " + "filler " * 80 + "the needle is here " + "tail " * 60).strip()
    msg = await say(text)
    hit = (await search(client, ravi, "needle"))["results"][0]
    assert hit["message"]["content"] == text
    snippet = hit["snippet"]
    assert snippet["text"].startswith("…") and snippet["text"].endswith("…") and len(snippet["text"]) == 202
    assert snippet["text"][1:-1] in text
    assert [snippet["text"][s:e] for s, e in snippet["highlights"]] == ["needle"]
    short = await say("😀 café")
    assert await marks(client, ravi, "cafe") == [(short["id"], ["café"])]
    assert (await search(client, ravi, "cafe"))["results"][0]["snippet"]["highlights"] == [[2, 6]]


async def test_a_private_rooms_text_never_reaches_a_non_member(client, talk, register, config):
    asha, ravi, room, ws, say = talk
    meera = await register("Meera")
    await say("secret plan for the surprise party")
    with sqlite3.connect(config.db) as conn:
        conn.execute("UPDATE rooms SET kind = 'private' WHERE id = ?", (room["id"],))
    body = await search(client, meera, "surprise")
    assert body == {"results": [], "next_before": None}
    for q in ("secret", '"surprise party"', "surp*", f"in:{room['id']} plan", f"from:{asha['id']} party"):
        assert await found(client, meera, q) == [] and await found(client, meera, q, room=room["id"]) == []
    hits = (await search(client, ravi, "surprise"))["results"]
    assert hits[0]["room"]["kind"] == "private"


async def test_an_inactive_rooms_messages_are_not_found(client, talk, config):
    asha, ravi, room, ws, say = talk
    msg = await say("closed for the season")
    assert await found(client, ravi, "season") == [msg["id"]]
    with sqlite3.connect(config.db) as conn:
        conn.execute("UPDATE rooms SET is_active = 0 WHERE id = ?", (room["id"],))
    assert await found(client, ravi, "season") == []


async def test_an_edited_message_is_found_by_its_new_text_only(client, talk):
    asha, ravi, room, ws, say = talk
    msg = await say("meet at the north gate")
    await ws.send_json({"action": "edit_message", "message_id": msg["id"], "new_content": "meet at the south gate"})
    edited = await recv(ws)
    assert edited["action"] == "edited"
    assert await found(client, ravi, "north") == []
    hits = (await search(client, ravi, "south"))["results"]
    assert [h["message"]["id"] for h in hits] == [msg["id"]]
    assert hits[0]["message"]["content"] == "meet at the south gate" and hits[0]["message"]["is_edited"] is True
    await ws.send_json({"action": "edit_message", "message_id": msg["id"], "new_content": "meet at the north gate"})
    await recv(ws)
    assert await found(client, ravi, "south") == [] and await found(client, ravi, "north") == [msg["id"]]


async def test_a_deleted_message_is_never_found(client, talk):
    asha, ravi, room, ws, say = talk
    gone = await say("embarrassing typo message")
    kept = await say("a message that stays")
    await ws.send_json({"action": "delete_message", "message_id": gone["id"]})
    assert (await recv(ws))["action"] == "deleted"
    assert await found(client, ravi, "embarrassing") == []
    assert await found(client, ravi, "message") == [kept["id"]]


def index_terms(db: str, table: str) -> list[tuple]:
    """The terms an index table holds, with their document counts."""
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, {table}, 'row')")
        return conn.execute("SELECT term, doc FROM temp.terms").fetchall()


async def test_a_deleted_rooms_messages_leave_the_index(client, talk, db_rows, config):
    asha, ravi, room, ws, say = talk
    await say("farewell everyone")
    edited = await say("東京タワーに行きました")
    await ws.send_json({"action": "edit_message", "message_id": edited["id"], "new_content": "大阪タワーに行きます"})
    await recv(ws)
    await ws.send_json({"action": "delete_message", "message_id": (await say("削除されるメッセージ"))["id"]})
    await recv(ws)
    resp = await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)
    assert resp.status == 200
    assert await found(client, asha, "farewell") == [] and await found(client, asha, "タワー") == []
    assert db_rows("SELECT count(*) FROM search_words_docsize") == [(0,)]
    assert db_rows("SELECT count(*) FROM search_grams_docsize") == [(0,)]
    # Every removal named exactly what was indexed: not one term is left behind.
    assert index_terms(config.db, "search_words") == [] and index_terms(config.db, "search_grams") == []


@pytest.mark.parametrize(("text", "query", "marked"), [
    ("Café au lait at noon", "cafe", "Café"),
    ("see you at the CAFE", "café", "CAFE"),
    ("Wir treffen uns an der Straße", "STRASSE", "Straße"),
    ("ΣΟΦΟΣ είπε", "σοφος", "ΣΟΦΟΣ"),
    ("ｆｕｌｌｗｉｄｔｈ letters", "fullwidth", "ｆｕｌｌｗｉｄｔｈ"),
    ("İstanbul toplantısı yarın", "istanbul", "İstanbul"),
])
async def test_accents_case_and_width_fold(client, talk, text, query, marked):
    asha, ravi, room, ws, say = talk
    msg = await say(text)
    assert await marks(client, ravi, query) == [(msg["id"], [marked])]


@pytest.mark.parametrize(("text", "query", "marked", "missing"), [
    ("会議は来週の月曜日に東京で行います", "月曜日", "月曜日", "火曜日"),
    ("明日は東京タワーに行きました", "東京タワー", "東京タワー", "大阪タワー"),
    ("ประชุมคณะกรรมการวันพรุ่งนี้", "กรรมการ", "กรรมการ", "นักเรียน"),
    ("我们明天下午三点开会", "三点开会", "三点开会", "四点开会"),
])
async def test_scripts_without_spaces_match_substrings_of_three_or_more(client, talk, text, query, marked, missing):
    asha, ravi, room, ws, say = talk
    msg = await say(text)
    assert await marks(client, ravi, query) == [(msg["id"], [marked])]
    assert await found(client, ravi, missing) == []


async def test_hindi_matches_whole_words_with_their_vowel_signs(client, talk):
    asha, ravi, room, ws, say = talk
    msg = await say("मैं कल बाज़ार जाऊँगा और किताब खरीदूँगा")
    assert await marks(client, ravi, "किताब") == [(msg["id"], ["किताब"])]
    assert await found(client, ravi, "बाज़ार खरीदूँगा") == [msg["id"]]
    assert await found(client, ravi, "कि") == [] and await found(client, ravi, "क") == []
    assert await found(client, ravi, "कित*") == [msg["id"]]


async def test_from_in_and_has_narrow_a_search(client, talk, connect, make_room):
    asha, ravi, room, ws, say = talk
    mine = await say("rules of the tournament")
    ravi_ws = await connect(ravi, room["id"])
    await ravi_ws.send_json({"message": "tournament starts at nine"})
    while (frame := await recv(ravi_ws))["sender"]["id"] != ravi["id"]:
        pass
    other = await make_room(asha, ravi)
    other_ws = await connect(asha, other["id"])
    await other_ws.send_json({"message": "tournament photos"})
    photos = await recv(other_ws)
    upload = await client.post(f"/api/chat/groups/{other['id']}/messages/upload/",
                               data=form(PNG, "final.png", "image/png", content="tournament final"), headers=asha.auth)
    picture = await upload.json()
    assert await found(client, ravi, "tournament") == [picture["id"], photos["id"], frame["id"], mine["id"]]
    assert await found(client, ravi, f"tournament from:{asha['id']}") == [picture["id"], photos["id"], mine["id"]]
    assert await found(client, ravi, f"tournament from:{asha['email'].upper()}") == [
        picture["id"], photos["id"], mine["id"]]
    assert await found(client, ravi, "tournament from:nobody@example.org") == []
    assert await found(client, ravi, f"tournament from:{2**64}") == []
    assert await found(client, ravi, f"tournament in:{room['id']}") == [frame["id"], mine["id"]]
    assert await found(client, ravi, "tournament", room=other["id"]) == [picture["id"], photos["id"]]
    assert await found(client, ravi, f"tournament in:{room['id']}", room=other["id"]) == []
    assert await found(client, ravi, "tournament has:image") == [picture["id"]]
    assert await found(client, ravi, "tournament has:file") == [picture["id"]]
    await ravi_ws.close()
    await other_ws.close()


async def test_keyset_paging_newest_first_has_no_gap_or_duplicate(client, talk):
    asha, ravi, room, ws, say = talk
    ids = [(await say(f"report number {i}"))["id"] for i in range(7)]
    seen, before = [], None
    while True:
        body = await search(client, ravi, "report", limit=3, **({"before": before} if before else {}))
        seen += [h["message"]["id"] for h in body["results"]]
        before = body["next_before"]
        if before is None:
            break
    assert seen == ids[::-1]


async def test_relevance_ranks_the_better_match_first(client, talk):
    asha, ravi, room, ws, say = talk
    strong = await say("budget budget budget review")
    weak = await say("the budget and a long list of many other unrelated words here")
    assert await found(client, ravi, "budget") == [weak["id"], strong["id"]]
    body = await search(client, ravi, "budget", order="relevance")
    assert [h["message"]["id"] for h in body["results"]] == [strong["id"], weak["id"]]
    assert body["next_before"] is None


@pytest.mark.parametrize("q", ["", "   ", "!!! ???", "has:file", f"from:1 in:1 has:image", '""', "*"])
async def test_a_query_with_nothing_to_look_for_is_a_clear_400(client, talk, q):
    asha, ravi, room, ws, say = talk
    body = await search(client, ravi, q, status=400)
    assert list(body) == ["q"] and "at least one word" in body["q"][0]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"before": "x"}, {"room": "-1"}, {"order": "best"},
                                    {"q": "a" * 501}])
async def test_bad_parameters_are_field_errors(client, talk, params):
    asha, ravi, room, ws, say = talk
    others = dict(params)
    body = await search(client, ravi, others.pop("q", "word"), status=400, **others)
    assert list(body) == list(params)


async def test_search_needs_a_token(client):
    resp = await client.get("/api/chat/search/", params={"q": "x"})
    assert resp.status == 401


async def test_limit_defaults_to_20_and_is_capped(client, talk):
    asha, ravi, room, ws, say = talk
    for i in range(22):
        await say(f"note {i}")
    assert len(await found(client, ravi, "note")) == 20
    assert len(await found(client, ravi, "note", limit=500)) == 22


FTS_SYNTAX = ['"', "*", "^", ":", "(", ")", "+", "-", "AND", "OR", "NOT", "NEAR", "NEAR(a b, 2)", "{body}", ",",
              "body:", "from:", "in:", "in:0", "has:", "has:file", "from:99999999999999999999", "from:1",
              "from:a@b.c", "'", "\\", "東京", "タワー", "ß", "é", "ि", "\x00"]
hostile_queries = st.lists(st.one_of(st.sampled_from(FTS_SYNTAX), st.text(max_size=6), EDGE_TEXT),
                           max_size=8).flatmap(lambda parts: st.sampled_from([" ".join(parts), "".join(parts)]))


@settings(FUZZ, max_examples=150)
@given(q=hostile_queries)
async def test_no_query_is_a_syntax_error_or_a_500(client, talk, q):
    asha, ravi, room, ws, say = talk
    if not talk_said(talk):
        for text in ("AND OR NOT near the \"quoted\" café", "東京タワー*に行きました", "ß-straße (x) {y} 'z'"):
            await say(text)
    resp = await client.get("/api/chat/search/", params={"q": q}, headers=ravi.auth)
    body = await resp.json()
    assert resp.status in (200, 400), body
    if resp.status == 400:
        assert list(body) == ["q"]
        return
    for hit in body["results"]:
        text, spans = hit["snippet"]["text"], hit["snippet"]["highlights"]
        assert all(0 <= s < e <= len(text) for s, e in spans) and spans == sorted(spans)


def talk_said(talk, said: set[int] = set()) -> bool:
    """Whether this room already got the fuzz's messages (each example reuses the test's server)."""
    seen = id(talk) in said
    said.add(id(talk))
    return seen


words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=10)


@settings(FUZZ, max_examples=60)
@given(word=words)
async def test_any_word_sent_is_found_by_itself(client, talk, word):
    asha, ravi, room, ws, say = talk
    msg = await say(f"zz {word} zz")
    assert msg["id"] in await found(client, ravi, word)
