"""Hostile frames, property-based, on a live socket: the socket stays usable, refusals are coded and write nothing."""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from chatserver.realtime.actions import ACTIONS
from chatserver.fields import MAX_ID, REACTIONS
from conftest import read_rows, recv, recv_until
from fuzz_support import EDGE_TEXT, FUZZ, json_values, leaves, render

DOCUMENTED = {"invalid_json", "unknown_action", "invalid", "not_found", "forbidden", "invalid_mention",
              "deleted", "rate_limited", "unsupported"}
TABLES = ("users", "tokens", "rooms", "members", "messages", "mentions", "reactions", "events")
FIELDS = ("action", "message", "message_id", "new_content", "reaction", "mentions", "parent_message",
          "parent_message_id", "client_id", "message_type")
# Placeholders for the arena's ids, filled in when a frame is sent: "$own" is Asha's live message,
# "$theirs" Ravi's, "$gone" Asha's deleted one, "$foreign" one in a room Asha is not in.
REFS = ("$own", "$theirs", "$gone", "$foreign", "$missing", "$asha", "$ravi", "$meera")

scalar_not_ids = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12), st.sampled_from(["1", " 2", "1.0", "0x1", "1e3", "²", "١"]),
    st.floats(allow_nan=False, allow_infinity=False), st.integers(max_value=0),
    st.integers(min_value=MAX_ID + 1, max_value=10**30))
not_ids = st.one_of(scalar_not_ids, st.lists(st.integers(1, 9), max_size=2),
                    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
extras = st.dictionaries(st.text(max_size=10).filter(lambda k: k not in FIELDS), json_values, max_size=3)
not_text = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                     st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=3), st.text(), max_size=2))
blank = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=5)


class NotUtf8(bytes):
    """Bytes sent as a text frame."""


def frame(codes: set[str], data: dict[str, Any]) -> st.SearchStrategy:
    """A JSON frame (with random extra fields) that must be refused with one of codes."""
    return extras.map(lambda extra: (codes, {**extra, **data}))


def _deep(n: int, kind: str) -> str:
    if kind == "array":
        return '{"message": "x", "extra": ' + "[" * n + "]" * n + "}"
    if kind == "object":
        return '{"a":' * n + "1" + "}" * n
    return "[" * n + "]" * n


@st.composite
def refused(draw) -> tuple[set[str], Any]:
    """One frame the server must refuse, and the codes it may refuse it with."""
    edit = {"action": "edit_message", "new_content": "x"}
    react = {"action": "react_message", "reaction": "Like"}
    delete = {"action": "delete_message"}
    choice = draw(st.integers(0, 16))
    if choice == 0:  # not JSON: whatever precedes it, a trailing "{" never parses
        return {"invalid_json"}, draw(st.text(max_size=40)) + "{"
    if choice == 1:  # JSON, not an object
        return {"invalid"}, json.dumps(draw(st.one_of(leaves, st.lists(leaves, max_size=3))))
    if choice == 2:  # nested far too deep; orjson's own limit (1024) answers invalid_json
        n, kind = draw(st.integers(33, 4000)), draw(st.sampled_from(["array", "object", "bare"]))
        return {"invalid", "invalid_json"}, _deep(n, kind)
    if choice == 3:  # lone surrogates, as JSON escapes
        text = draw(st.text(alphabet=string.ascii_letters, max_size=5))
        bad = draw(st.sampled_from(["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d", "\\ud83dx"]))
        where = draw(st.sampled_from(['{"message": "%s"}', '{"%s": 1, "message": "x"}', '{"action": "%s"}']))
        return {"invalid_json"}, where % (text + bad + text)
    if choice == 4:  # an action that does not exist, of any type
        action = draw(st.one_of(st.text(max_size=20).filter(lambda a: a not in ACTIONS), not_text.filter(
            lambda a: not isinstance(a, str))))
        return draw(frame({"unknown_action"}, {"action": action, "message": "x"}))
    if choice == 5:  # message ids that are not ids
        base = draw(st.sampled_from([edit, react, delete]))
        return draw(frame({"invalid"}, {**base, "message_id": draw(not_ids)}))
    if choice == 6:  # ids of messages in another room, or of none
        base = draw(st.sampled_from([edit, react, delete]))
        return draw(frame({"not_found"}, {**base, "message_id": draw(st.sampled_from(["$foreign", "$missing"]))}))
    if choice == 7:  # someone else's message (Asha owns the room: she may delete it, not edit it)
        return draw(frame({"forbidden"}, {**edit, "message_id": "$theirs"}))
    if choice == 8:  # a deleted message
        return draw(frame({"deleted"}, {**draw(st.sampled_from([edit, react, delete])), "message_id": "$gone"}))
    if choice == 9:  # message text of the wrong type, blank, or too long
        too_long = st.builds(lambda c, n: c * n, st.sampled_from("xé漢😀"), st.integers(4001, 4100))
        message = draw(st.one_of(not_text, blank, too_long))
        action = draw(st.sampled_from([{"action": "send_message"}, {}]))  # without one, a frame is a send
        return draw(frame({"invalid"}, {**action, "message": message}))
    if choice == 10:  # mentions that are not ids, too many, or of someone not in the room
        mentions = draw(st.one_of(  # not a list, a list of things that are not ids, or too many
            scalar_not_ids, st.lists(not_ids, min_size=1, max_size=3),
            st.lists(st.integers(1, 10**6), min_size=51, max_size=70, unique=True)))
        if draw(st.booleans()):
            return draw(frame({"invalid_mention"}, {"message": "hi", "mentions": ["$ravi", "$meera"]}))
        return draw(frame({"invalid"}, {"message": "hi", "mentions": mentions}))
    if choice == 11:  # a parent in another room, or not an id
        parent = draw(st.one_of(st.sampled_from(["$foreign", "$missing"]), not_ids.filter(lambda v: v is not None)))
        codes = {"not_found"} if isinstance(parent, str) and parent.startswith("$") else {"invalid"}
        return draw(frame(codes, {"message": "hi", draw(st.sampled_from(["parent_message", "parent_message_id"])): parent}))
    if choice == 12:  # client_id of the wrong type or size
        client_id = draw(st.one_of(not_text.filter(lambda v: v is not None), st.just(""), st.text(min_size=65, max_size=80)))
        return draw(frame({"invalid"}, {"message": "hi", "client_id": client_id}))
    if choice == 13:  # a reaction that is not one of the seven
        reaction = draw(st.one_of(st.text(max_size=10).filter(lambda r: r not in REACTIONS), not_text))
        return draw(frame({"invalid"}, {"action": "react_message", "message_id": "$theirs", "reaction": reaction}))
    if choice == 14:  # only text goes over the socket
        kind = draw(st.one_of(st.sampled_from(["image", "file", "TEXT", ""]), not_text))
        return draw(frame({"invalid"}, {"message": "hi", "message_type": kind}))
    if choice == 15:  # binary frames, and text frames that are not UTF-8
        if draw(st.booleans()):
            return {"unsupported"}, draw(st.binary(max_size=64))
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe2\x82"]))
        return {"invalid_json"}, NotUtf8(b'{"message": "a' + bad + b'"}')
    # missing required fields
    base = draw(st.sampled_from([edit, react, delete, {"action": "send_message"},
                                 {"action": "edit_message", "message_id": "$own"},
                                 {"action": "react_message", "message_id": "$own"}]))
    return draw(frame({"invalid"}, base))


anything = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)),
    st.one_of(json_values, st.sampled_from(REFS), st.sampled_from(list(ACTIONS)), st.sampled_from(REACTIONS),
              st.lists(st.sampled_from(REFS), max_size=3)), max_size=6)
words = st.one_of(st.text(min_size=1, max_size=30), EDGE_TEXT)
valid_frames = st.one_of(
    st.fixed_dictionaries({"message": words}, optional={
        "action": st.just("send_message"), "client_id": st.text(min_size=1, max_size=64),
        "mentions": st.lists(st.sampled_from(["$asha", "$ravi"]), max_size=2),
        "parent_message": st.sampled_from(["$own", "$theirs"])}),
    st.fixed_dictionaries({"action": st.just("edit_message"), "message_id": st.just("$own"), "new_content": words}),
    st.fixed_dictionaries({"action": st.just("react_message"), "message_id": st.sampled_from(["$own", "$theirs"]),
                           "reaction": st.sampled_from(REACTIONS)}),
    st.fixed_dictionaries({"action": st.sampled_from(["typing", "stop_typing"])}))


@st.composite
def near_misses(draw) -> dict[str, Any]:
    """A valid frame with a few of its fields dropped, replaced or added."""
    frame = draw(valid_frames)
    for name in draw(st.sets(st.sampled_from(sorted(frame)), max_size=2)):
        del frame[name]
    return {**frame, **draw(st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), st.one_of(
        json_values, st.sampled_from(REFS)), max_size=2))}


random_frame = st.one_of(
    anything, st.builds(lambda action, rest: {**rest, "action": action}, st.sampled_from(list(ACTIONS)), anything),
    valid_frames, near_misses())


@pytest.fixture
def config(config):
    return config.replace(rate_limit=0, typing_rate=0, error_rate=0)


class Arena:
    """Asha's socket under attack, Ravi watching the same room, and Meera's room next door."""

    def __init__(self, db: str, ws, watcher, token: str, room_id: int) -> None:
        self.db, self.ws, self.watcher, self.token, self.room_id = db, ws, watcher, token, room_id
        self.ids: dict[str, int] = {}
        self.probes = itertools.count()
        self.seen_ids: set[int] = set()

    def render(self, value: Any) -> Any:
        return render(value, self.ids)

    def checksum(self) -> str:
        """A digest of every row of every table, as an outside reader sees the file."""
        digest = hashlib.sha256()
        for table in TABLES:
            digest.update(repr(sorted(read_rows(self.db, f"SELECT * FROM {table}"), key=repr)).encode())
        return digest.hexdigest()

    def content(self, message_id: int) -> str:
        return read_rows(self.db, "SELECT content FROM messages WHERE id = ?", (message_id,))[0][0]

    async def until_probe(self, ws) -> list[dict[str, Any]]:
        """Send a probe (a send the publisher refuses) and return every frame that came before its answer.

        The publisher answers in order, so the answers to everything sent earlier arrive first."""
        probe = f"probe-{next(self.probes)}-\u2603"
        await ws.send_json({"message": "probe", "parent_message": MAX_ID, "client_id": probe})
        frames = []
        while True:
            got = await recv(ws, 5)
            if got.get("client_id") == probe and got.get("action") == "error":
                assert got["code"] == "not_found"
                return frames
            frames.append(got)

    async def settle(self) -> None:
        """Start an example on quiet sockets, whatever an earlier (failed) one left unread."""
        await self.until_probe(self.ws)
        await self.until_probe(self.watcher)

    async def exchange(self, payload: Any) -> list[dict[str, Any]]:
        """Send one frame to Asha's socket; every frame it caused on that socket."""
        if isinstance(payload, NotUtf8):
            await self.ws.send_frame(payload, aiohttp.WSMsgType.TEXT)
        elif isinstance(payload, bytes):
            await self.ws.send_bytes(payload)
        else:
            await self.ws.send_str(payload if isinstance(payload, str) else
                                   json.dumps(self.render(payload), ensure_ascii=False))
        replies = await self.until_probe(self.ws)
        assert not self.ws.closed
        return replies

    async def still_usable(self, n: int) -> dict[str, Any]:
        """A valid send after the attack is stored and echoed."""
        client_id = f"usable-{n}"
        await self.ws.send_json({"message": f"still here {n}", "client_id": client_id})
        echo = await recv(self.ws, 5)
        assert echo.get("client_id") == client_id and echo["is_self"] is True, echo
        self.seen_ids.add(echo["id"])
        return echo


@pytest.fixture
async def arena(client, config, register, make_room, connect):
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room, next_door = await make_room(asha, ravi), await make_room(meera, ravi)
    a = Arena(config.db, await connect(asha, room["id"]), await connect(ravi, room["id"]), asha.token, room["id"])
    ws_m = await connect(meera, next_door["id"])
    try:
        for ws, ref in ((a.ws, "$own"), (a.watcher, "$theirs"), (a.ws, "$gone"), (ws_m, "$foreign")):
            await ws.send_json({"message": ref, "client_id": ref})
            a.ids[ref] = (await recv_until(ws, lambda f: f.get("client_id") == ref))["id"]
        await a.ws.send_json({"action": "delete_message", "message_id": a.ids["$gone"]})
        a.ids.update({"$missing": MAX_ID - 1, "$asha": asha["id"], "$ravi": ravi["id"], "$meera": meera["id"]})
        a.seen_ids.update(a.ids[k] for k in ("$own", "$theirs", "$gone", "$foreign"))
        await a.until_probe(a.ws)
        await a.until_probe(a.watcher)
        yield a
    finally:
        for ws in (a.ws, a.watcher, ws_m):
            await ws.close()


def assert_well_formed_error(reply: dict[str, Any], codes: set[str]) -> None:
    assert reply.get("action") == "error", reply
    assert reply["code"] in DOCUMENTED and reply["code"] in codes, reply
    assert isinstance(reply["error"], str) and reply["error"]


@FUZZ
@given(frames=st.lists(refused(), min_size=1, max_size=8))
async def test_refused_frames_change_nothing_and_the_socket_stays_usable(arena, frames):
    await arena.settle()
    for codes, payload in frames:
        note(f"frame: {payload!r}"[:2000])
        before = arena.checksum()
        replies = await arena.exchange(payload)
        assert len(replies) == 1, (payload, replies)
        assert_well_formed_error(replies[0], codes)
        assert arena.checksum() == before, payload
    assert await arena.until_probe(arena.watcher) == [], "a refused frame reached another member"
    echo = await arena.still_usable(next(arena.probes))
    seen = await arena.until_probe(arena.watcher)
    assert [f["id"] for f in seen] == [echo["id"]]


@settings(FUZZ, max_examples=40)
@given(after=st.one_of(st.text(max_size=12), st.integers(-5, 2**70).map(str), st.sampled_from(
    ["", "²", "١", " 1", "1.0", "-0", "0x1", "9" * 18, "9" * 19, "%00", "1&after_seq=2"])))
async def test_any_after_seq_resumes_or_is_refused_before_the_upgrade(arena, client, after):
    url = f"/ws/chat/{arena.room_id}/?" + urlencode({"token": arena.token, "after_seq": after})
    try:
        ws = await client.ws_connect(url)
    except aiohttp.WSServerHandshakeError as exc:
        assert exc.status == 400, (after, exc.status)
        return
    try:
        first = await recv(ws, 5)
        assert first["action"] in ("resumed", "reset") and isinstance(first["last_seq"], int), first
    finally:
        await ws.close()


def is_broadcast(frame: dict[str, Any]) -> bool:
    """A frame of the live protocol: a message, an edit, a deletion, a reaction or typing."""
    if frame.get("action") in ("edited", "deleted", "reacted"):
        return isinstance(frame.get("id"), int) and isinstance(frame.get("seq"), int)
    if frame.get("action") == "typing":
        return isinstance(frame.get("is_typing"), bool)
    return {"id", "seq", "message", "sender", "room"} <= frame.keys() and "action" not in frame


def shared(frame: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in frame.items() if k not in ("is_self", "client_id")}


@FUZZ
@given(frames=st.lists(random_frame, min_size=1, max_size=8))
async def test_any_frame_gets_one_well_formed_answer_and_a_refusal_writes_nothing(arena, frames):
    await arena.settle()
    expected_watch = []
    for payload in frames:
        note(f"frame: {payload!r}"[:2000])
        before = arena.checksum()
        replies = await arena.exchange(payload)
        if not replies and isinstance(payload, dict) and payload.get("action") in ("typing", "stop_typing"):
            # a typing signal reaches the others, never the typist's own sockets
            expected_watch.append({"action": "typing", "is_typing": payload["action"] == "typing",
                                   "sender": {"name": "Asha", "photo": None, "id": arena.ids["$asha"], "role": "member"}})
            continue
        assert len(replies) == 1, (payload, replies)
        reply = replies[0]
        event(f"answer: {reply.get('code') or reply.get('action') or 'message'}")
        if reply.get("action") == "error":
            assert_well_formed_error(reply, DOCUMENTED)
            assert arena.checksum() == before, payload
        else:
            assert is_broadcast(reply), (payload, reply)
            if "action" not in reply and reply["id"] in arena.seen_ids:
                assert arena.checksum() == before  # a retried client_id is answered, not stored again
                continue
            arena.seen_ids.add(reply.get("id"))
            if "action" not in reply:  # text arrives, is broadcast and is stored exactly as sent, trimmed
                sent = arena.render(payload)["message"]
                assert reply["message"] == sent.strip() == arena.content(reply["id"]), (sent, reply)
            expected_watch.append(shared(reply))
    echo = await arena.still_usable(next(arena.probes))
    expected_watch.append(shared(echo))
    assert [shared(f) for f in await arena.until_probe(arena.watcher)] == expected_watch
