"""How each kind of change is written inside one journal transaction: send, edit, delete, react, pin.

The whole batch runs on the writer's thread in one transaction (Database.write). Sends are
buffered and each table's rows written in one statement when the batch flushes; edits, deletions
and reactions read and write the message they name at once, after flushing when they name
a message created earlier in the same batch. Every change that happens takes the room's
next seq; a refused change takes none, so the log has no holes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from . import rules, shapes
from .errors import ChatError, not_found
from .fanout.peer import Peer
from .storage import changes as writes
from .storage import mutes
from .storage.db import Row, now_iso
from .wire import dumps, loads, text_frame


@dataclass(slots=True)
class Change:
    """One requested change: kind is send, edit, delete, react or pin."""

    kind: str
    room: Row
    user: Row
    data: dict[str, Any]
    peer: Peer | None = None
    base: str = ""  # where the requester reaches this server: live frames' attachment URLs are built on it
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(slots=True)
class Committed:
    """What a committed change broadcasts; reply goes to the requesting socket alone."""

    room_id: int
    seq: int | None = None
    frame: bytes | None = None
    own: bytes | None = None
    sender_id: int | None = None
    message_id: int | None = None
    reply: bytes | None = None
    removed_file: str | None = None


class Batch:
    """The changes of one transaction, applied on the writer's thread; sends are buffered.

    The journal's seq and name caches are only read here (the event loop may drop entries
    meanwhile); what this batch learns goes into its own dicts, merged after the commit.
    """

    def __init__(self, conn: sqlite3.Connection, next_id: int, known_seqs: dict[int, int],
                 known_names: dict[int, str]) -> None:
        self.conn = conn
        self.now = now_iso()  # one commit time for every change of the batch
        self.next_id = next_id
        self.known_seqs = known_seqs
        self.known_names = known_names
        self.seqs: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.messages: list[tuple[Any, ...]] = []
        self.mentions: list[tuple[int, int]] = []
        self.events: list[tuple[Any, ...]] = []
        self.new_ids: dict[int, int] = {}  # id -> room of messages created in this batch
        self.sent: dict[tuple[int, int, str], Committed] = {}
        self.stored: dict[tuple[int, int, str], Row] = {}

    def next_seq(self, room_id: int) -> int:
        if room_id not in self.seqs:
            known, name = self.known_seqs.get(room_id), self.known_names.get(room_id)
            if known is None or name is None:
                room = writes.live_room(self.conn, room_id)
                if room is None:
                    raise not_found("This room no longer exists.")
                known, name = room["last_seq"], room["name"]
            self.seqs[room_id], self.names[room_id] = known, name
        self.seqs[room_id] += 1
        return self.seqs[room_id]

    def flush(self) -> None:
        writes.insert_messages(self.conn, self.messages)
        writes.insert_mentions(self.conn, self.mentions)
        writes.insert_events(self.conn, self.events)
        self.messages, self.mentions, self.events = [], [], []


def apply(conn: sqlite3.Connection, changes: list[Change], next_id: int, known_seqs: dict[int, int],
          known_names: dict[int, str]) -> tuple[list[Committed | ChatError], Batch]:
    """Write every change of a batch (run by Database.write on the writer's thread)."""
    batch = Batch(conn, next_id, known_seqs, known_names)
    batch.stored = writes.existing_sends(
        conn, [client_key(c) for c in changes if c.kind == "send" and c.data.get("client_id")])
    pairs = sorted({(c.room["id"], c.user["id"]) for c in changes})
    members, muted = writes.memberships(conn, pairs), mutes.muted(conn, pairs, batch.now)
    outcomes: list[Committed | ChatError] = []
    for change in changes:
        try:
            pair = (change.room["id"], change.user["id"])
            # purge: a site admin's deletion of a suspended user's messages, in rooms they left too (never a client's)
            rules.check_still_member(pair in members or change.data.get("purge", False))
            if change.kind in rules.SILENCED:
                rules.check_not_muted(pair in muted, muted.get(pair))
            outcomes.append(APPLY[change.kind](batch, change))
        except ChatError as exc:
            outcomes.append(exc)
    batch.flush()
    writes.set_room_seqs(conn, batch.seqs)
    if batch.next_id > next_id:
        writes.raise_high_water(conn, batch.next_id - 1)
    return outcomes, batch


def client_key(change: Change) -> tuple[int, int, str]:
    return (change.room["id"], change.user["id"], change.data["client_id"])


def _send(batch: Batch, change: Change) -> Committed:
    data, room, user = change.data, change.room, change.user
    client_id = data.get("client_id")
    key = client_key(change) if client_id else None
    if key is not None and (key in batch.sent or key in batch.stored):
        return _retry_answer(batch, key, client_id, change.base)
    parent = data.get("parent_message")
    replied = None
    if parent is not None:
        if batch.new_ids.get(parent) == room["id"]:
            batch.flush()
        replied = writes.reply_target(batch.conn, parent)
        rules.check_reply(replied, room["id"])
    seq = batch.next_seq(room["id"])
    message_id = batch.next_id
    batch.next_id += 1
    now = batch.now
    mentions = sorted(set(data.get("mentions") or ()))
    state = {"id": message_id, "room_id": room["id"], "room_name": batch.names[room["id"]],
             "sender_id": user["id"], "first_name": user["first_name"], "photo": user["photo"],
             "role": user["role"], "message_type": data.get("message_type", "text"),
             "content": data["message"], "attachment": data.get("attachment"), "created_at": now,
             "parent_id": parent, "parent": replied and replied["parent"], "mentions": mentions,
             "reactions": {}, "is_deleted": 0}
    frame = {**shapes.message_frame(state, change.base), "seq": seq}
    others = dumps(frame)
    logged = _for_log(frame, state, others)
    frame["is_self"] = True
    if client_id:
        frame["client_id"] = client_id
    own = text_frame(dumps(frame))
    batch.messages.append((message_id, room["id"], user["id"], frame["message_type"], data["message"],
                           data.get("attachment"), parent, client_id, seq, now))
    batch.mentions.extend((message_id, uid) for uid in mentions)
    batch.events.append((room["id"], seq, "created", message_id, logged.decode(), now))
    batch.new_ids[message_id] = room["id"]
    committed = Committed(room["id"], seq, text_frame(others), own, user["id"], message_id)
    if key is not None:
        batch.sent[key] = committed
    return committed


def _retry_answer(batch: Batch, key: tuple[int, int, str], client_id: str, base: str) -> Committed:
    earlier = batch.sent.get(key)
    if earlier is not None:
        return Committed(key[0], message_id=earlier.message_id, reply=earlier.own)
    row = batch.stored[key]
    frame = loads(row["frame"])
    frame["is_self"] = True
    frame["client_id"] = client_id
    frame["attachment"] = shapes.media_url(base, frame.get("attachment"))
    return Committed(key[0], message_id=row["id"], reply=text_frame(dumps(frame)))


def _for_log(frame: dict[str, Any], state: Row, payload: bytes) -> bytes:
    """The frame (payload, already encoded) as the event log keeps it: the file's name, never a
    URL (a replay builds the URL for its own reader)."""
    if frame.get("attachment") is None:
        return payload
    return dumps({**frame, "attachment": state["attachment"]})


def _target(batch: Batch, change: Change) -> Row:
    """The message a change names, checked against the rules for that kind of change."""
    message_id = change.data["message_id"]
    state = writes.message_state(batch.conn, message_id)
    if state is None and message_id in batch.new_ids:
        batch.flush()
        state = writes.message_state(batch.conn, message_id)
    rules.check_message_change(change.kind, state, change.room["id"], change.user)
    return state


def _edit(batch: Batch, change: Change) -> Committed:
    state = _target(batch, change)
    seq = batch.next_seq(change.room["id"])
    writes.edit_content(batch.conn, state["id"], change.data["new_content"], batch.now)
    frame = {"action": "edited", "id": state["id"], "new_content": change.data["new_content"]}
    return _logged(batch, change, "edited", state["id"], seq, frame)


def _delete(batch: Batch, change: Change) -> Committed:
    state = _target(batch, change)
    seq = batch.next_seq(change.room["id"])
    batch.flush()  # an edit earlier in this batch must be in the log for erase to blank it
    writes.erase(batch.conn, state["id"], batch.now)
    frame = {"action": "deleted", "id": state["id"]}
    committed = _logged(batch, change, "deleted", state["id"], seq, frame)
    committed.removed_file = state["attachment"]
    return committed


def _react(batch: Batch, change: Change) -> Committed:
    state = _target(batch, change)
    seq = batch.next_seq(change.room["id"])
    counts = writes.toggle_reaction(batch.conn, state["id"], change.user["id"], change.data["reaction"])
    frame = {"action": "reacted", "id": state["id"], "reactions": counts}
    return _logged(batch, change, "reacted", state["id"], seq, frame)


def _pin(batch: Batch, change: Change) -> Committed:
    state = _target(batch, change)
    rules.check_may_pin(writes.pin_rights(batch.conn, change.room["id"], change.user["id"]), change.user)
    pin = change.data["pin"]
    rules.check_pin_change(state, pin, writes.pin_count(batch.conn, change.room["id"]), change.data["limit"])
    seq = batch.next_seq(change.room["id"])
    writes.set_pin(batch.conn, state["id"], change.user["id"] if pin else None, batch.now)
    frame = {"action": "message_pinned", "id": state["id"], "is_pinned": pin,
             "pinned_at": batch.now if pin else None, "pinned_by": change.user["id"] if pin else None}
    return _logged(batch, change, "pinned", state["id"], seq, frame)


def _logged(batch: Batch, change: Change, kind: str, message_id: int, seq: int,
            frame: dict[str, Any]) -> Committed:
    """Log and broadcast a change with the message's state after it; its sender's copy says is_self."""
    row = writes.message_row(batch.conn, message_id)
    frame = {**frame, **shapes.message_frame(row, change.base), "seq": seq}
    payload = dumps(frame)
    batch.events.append((change.room["id"], seq, kind, message_id, _for_log(frame, row, payload).decode(), batch.now))
    own = text_frame(dumps({**frame, "is_self": True}))
    return Committed(change.room["id"], seq, text_frame(payload), own, row["sender_id"], message_id)


APPLY = {"send": _send, "edit": _edit, "delete": _delete, "react": _react, "pin": _pin}
