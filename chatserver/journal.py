"""The journal: every change to a room is committed with the room's next seq, then broadcast.

One task owns all message writes. Changes queue up while a transaction commits and the
next transaction takes them all (group commit), so the cost of a commit is shared when
traffic is heavy. A change is broadcast only after its transaction has committed, in seq
order, to a snapshot of the room's sockets without waiting for any of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from . import rules, shapes
from .config import Config
from .errors import ChatError, not_found
from .metrics import Metrics
from .realtime.frames import dumps, loads, text_frame
from .realtime.registry import Peer, Registry
from .storage import messages, rooms
from .storage.db import Database, Row, now_iso

log = logging.getLogger("chatserver.journal")


@dataclass(slots=True)
class Change:
    """One requested change: kind is send, edit, delete or react."""

    kind: str
    room: Row
    user: Row
    data: dict[str, Any]
    peer: Peer | None = None
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


class _Batch:
    """The changes of one transaction; sends are buffered and written with executemany."""

    def __init__(self, conn: aiosqlite.Connection, next_id: int, seqs: dict[int, int],
                 names: dict[int, str]) -> None:
        self.conn = conn
        self.next_id = next_id
        self.known_seqs = seqs
        self.names = names
        self.seqs: dict[int, int] = {}
        self.messages: list[tuple[Any, ...]] = []
        self.mentions: list[tuple[int, int]] = []
        self.events: list[tuple[Any, ...]] = []
        self.new_ids: dict[int, int] = {}  # id -> room of messages created in this batch
        self.sent: dict[tuple[int, int, str], Committed] = {}
        self.stored: dict[tuple[int, int, str], Row] = {}

    async def next_seq(self, room_id: int) -> int:
        if room_id not in self.seqs:
            known = self.known_seqs.get(room_id)
            if known is None or room_id not in self.names:
                room = await messages.live_room(self.conn, room_id)
                if room is None:
                    raise not_found("This room no longer exists.")
                known, self.names[room_id] = room["last_seq"], room["name"]
            self.seqs[room_id] = known
        self.seqs[room_id] += 1
        return self.seqs[room_id]

    async def flush(self) -> None:
        await messages.insert_messages(self.conn, self.messages)
        await messages.insert_mentions(self.conn, self.mentions)
        await messages.insert_events(self.conn, self.events)
        self.messages, self.mentions, self.events = [], [], []

    async def finish(self) -> None:
        await self.flush()
        if self.seqs:
            await messages.set_room_seqs(self.conn, self.seqs)


class Journal:
    """Commits room changes in batches and broadcasts each after its commit."""

    def __init__(self, db: Database, registry: Registry, metrics: Metrics, config: Config) -> None:
        self.db = db
        self.registry = registry
        self.metrics = metrics
        self.config = config
        self._queue: deque[Change] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_id = 1
        self._seqs: dict[int, int] = {}
        self._names: dict[int, str] = {}

    async def start(self) -> None:
        """Learn the next message id and start the writer task."""
        self._next_id = await messages.max_message_id(self.db) + 1
        self._task = asyncio.create_task(self._run(), name="journal")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    def enqueue(self, change: Change) -> asyncio.Future[Any]:
        """Queue a change; the future resolves to its Committed once broadcast, or a ChatError."""
        if self._stopping:
            raise ChatError("unavailable", "The server is shutting down.", status=503)
        self._queue.append(change)
        self._wake.set()
        return change.future

    async def submit(self, change: Change) -> Committed:
        """Queue a change and wait for its outcome; a caller that goes away does not undo it."""
        return await asyncio.shield(self.enqueue(change))

    async def delete_room(self, room_id: int) -> None:
        """Delete a room with everything in it; its seq counter goes with it."""
        await rooms.delete_room(self.db, room_id)
        self.forget_room(room_id)

    def forget_room(self, room_id: int) -> None:
        """The room was renamed or deleted: read it afresh before its next change."""
        self._seqs.pop(room_id, None)
        self._names.pop(room_id, None)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.config.write_batch))]
                await self._commit(batch)
            if self._stopping:
                return

    async def _commit(self, changes: list[Change]) -> None:
        started = time.perf_counter()
        outcomes: list[Committed | ChatError] = []
        try:
            async with self.db.transaction() as conn:
                batch = _Batch(conn, self._next_id, self._seqs, self._names)
                keys = [_client_key(c) for c in changes if c.kind == "send" and c.data.get("client_id")]
                batch.stored = await messages.existing_sends(conn, keys)
                for change in changes:
                    try:
                        outcomes.append(await APPLY[change.kind](batch, change))
                    except ChatError as exc:
                        outcomes.append(exc)
                await batch.finish()
        except Exception as exc:  # the whole transaction rolled back: nothing happened
            log.exception("write batch of %d changes failed", len(changes))
            for change in changes:
                _settle(change, ChatError("internal", "The change could not be saved; try again.", status=500))
            return
        self._next_id = batch.next_id
        self._seqs.update(batch.seqs)
        self._account(changes, outcomes, time.perf_counter() - started)
        for change, outcome in zip(changes, outcomes):
            self._publish(change, outcome)

    def _account(self, changes: list[Change], outcomes: list[Any], seconds: float) -> None:
        m = self.metrics
        m.write_batch(len(changes), seconds)
        for change, outcome in zip(changes, outcomes):
            if isinstance(outcome, Committed) and outcome.seq is not None:
                m.inc("chat_events_committed_total")
                if change.kind == "send":
                    m.inc("chat_messages_committed_total")

    def _publish(self, change: Change, outcome: Committed | ChatError) -> None:
        if isinstance(outcome, ChatError):
            if change.peer is not None:
                frame = outcome.frame()
                if change.data.get("client_id"):
                    frame["client_id"] = change.data["client_id"]
                change.peer.send(frame)
                self.metrics.inc("chat_errors_total", label=f'code="{outcome.code}"')
            _settle(change, outcome)
            return
        if outcome.frame is not None:
            delivered = self.registry.broadcast(outcome.room_id, outcome.frame, outcome.own, outcome.sender_id,
                                                outcome.seq)
            self.metrics.inc("chat_broadcasts_total")
            self.metrics.inc("chat_deliveries_total", delivered)
        if outcome.reply is not None and change.peer is not None:
            change.peer.deliver(outcome.reply)
        if outcome.removed_file:
            Path(self.config.media_dir, outcome.removed_file).unlink(missing_ok=True)
        _settle(change, outcome)


def _settle(change: Change, outcome: Committed | ChatError) -> None:
    if change.future.done():
        return
    if isinstance(outcome, ChatError):
        change.future.set_exception(outcome)
        change.future.exception()  # a socket does not wait for its outcome: never "never retrieved"
    else:
        change.future.set_result(outcome)


def _client_key(change: Change) -> tuple[int, int, str]:
    return (change.room["id"], change.user["id"], change.data["client_id"])


async def _send(batch: _Batch, change: Change) -> Committed:
    data, room, user = change.data, change.room, change.user
    client_id = data.get("client_id")
    key = _client_key(change) if client_id else None
    if key is not None and (key in batch.sent or key in batch.stored):
        return _retry_answer(batch, key, client_id)
    parent = data.get("parent_message")
    if parent is not None and batch.new_ids.get(parent) != room["id"]:
        state = await messages.message_state(batch.conn, parent)
        if state is None or state["room_id"] != room["id"]:
            raise ChatError("not_found", "The message replied to is not in this room.",
                            fields={"parent_message": ["No such message in this room."]})
    seq = await batch.next_seq(room["id"])
    message_id = batch.next_id
    batch.next_id += 1
    now = now_iso()
    mentions = sorted(set(data.get("mentions") or ()))
    frame = {"message": data["message"], "sender": shapes.sender(user),
             "message_type": data.get("message_type", "text"), "id": message_id,
             "attachment": data.get("attachment_url"), "created_at": now, "room": room["id"],
             "room_name": batch.names[room["id"]], "is_self": False, "parent_message": parent,
             "mentions": mentions, "seq": seq}
    others = dumps(frame)
    frame["is_self"] = True
    if client_id:
        frame["client_id"] = client_id
    own = text_frame(dumps(frame))
    batch.messages.append((message_id, room["id"], user["id"], frame["message_type"], data["message"],
                           data.get("attachment"), parent, client_id, seq, now))
    batch.mentions.extend((message_id, uid) for uid in mentions)
    batch.events.append((room["id"], seq, "created", message_id, others.decode(), now))
    batch.new_ids[message_id] = room["id"]
    committed = Committed(room["id"], seq, text_frame(others), own, user["id"], message_id)
    if key is not None:
        batch.sent[key] = committed
    return committed


def _retry_answer(batch: _Batch, key: tuple[int, int, str], client_id: str) -> Committed:
    earlier = batch.sent.get(key)
    if earlier is not None:
        return Committed(key[0], message_id=earlier.message_id, reply=earlier.own)
    row = batch.stored[key]
    frame = loads(row["frame"])
    frame["is_self"] = True
    frame["client_id"] = client_id
    return Committed(key[0], message_id=row["id"], reply=text_frame(dumps(frame)))


async def _target(batch: _Batch, change: Change) -> Row:
    """The message a change names, checked against the rules for that kind of change."""
    message_id = change.data["message_id"]
    state = await messages.message_state(batch.conn, message_id)
    if state is None and message_id in batch.new_ids:
        await batch.flush()
        state = await messages.message_state(batch.conn, message_id)
    rules.check_message_change(change.kind, state, change.room["id"], change.user)
    return state


async def _edit(batch: _Batch, change: Change) -> Committed:
    state = await _target(batch, change)
    seq = await batch.next_seq(change.room["id"])
    now = now_iso()
    await messages.edit_content(batch.conn, state["id"], change.data["new_content"], now)
    frame = {"action": "edited", "id": state["id"], "new_content": change.data["new_content"], "seq": seq}
    return _logged(batch, change, "edited", state["id"], seq, frame, now)


async def _delete(batch: _Batch, change: Change) -> Committed:
    state = await _target(batch, change)
    seq = await batch.next_seq(change.room["id"])
    now = now_iso()
    await batch.flush()  # an edit earlier in this batch must be in the log for erase to blank it
    await messages.erase(batch.conn, state["id"], now)
    committed = _logged(batch, change, "deleted", state["id"], seq, {"action": "deleted", "id": state["id"], "seq": seq}, now)
    committed.removed_file = state["attachment"]
    return committed


async def _react(batch: _Batch, change: Change) -> Committed:
    state = await _target(batch, change)
    seq = await batch.next_seq(change.room["id"])
    counts = await messages.toggle_reaction(batch.conn, state["id"], change.user["id"], change.data["reaction"])
    frame = {"action": "reacted", "id": state["id"], "reactions": counts, "seq": seq}
    return _logged(batch, change, "reacted", state["id"], seq, frame, now_iso())


def _logged(batch: _Batch, change: Change, kind: str, message_id: int, seq: int,
            frame: dict[str, Any], now: str) -> Committed:
    payload = dumps(frame)
    batch.events.append((change.room["id"], seq, kind, message_id, payload.decode(), now))
    return Committed(change.room["id"], seq, text_frame(payload), message_id=message_id)


APPLY = {"send": _send, "edit": _edit, "delete": _delete, "react": _react}
