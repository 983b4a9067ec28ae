"""The publisher: every change to a room is committed with the room's next seq, then broadcast.

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
from functools import partial
from pathlib import Path
from typing import Any, cast

from . import media
from .room_changes import EVENTS, Change, Committed, apply
from .config import Config
from .errors import ChatError
from .fanout.peer import Peer, refuse
from .fanout.bus import Bus
from .metrics import Metrics
from .store import ChangeBatch, Row, Store
from .wire import dumps, text_frame

log = logging.getLogger("chatserver.publisher")
Frames = tuple[bytes | None, bytes | None, bytes | None]  # the room's frame, the sender's copy, a reply


class Publisher:
    """Commits room changes in batches and broadcasts each after its commit."""

    def __init__(self, store: Store, bus: Bus, metrics: Metrics, config: Config) -> None:
        self.store = store
        self.bus = bus
        self.metrics = metrics
        self.config = config
        self._queue: deque[Change] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_id = 1
        self._seqs: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self.failing = False  # the last write batch failed; cleared by the next one that commits

    async def start(self) -> None:
        """Learn the next message id and start the writer task."""
        self._next_id = await self.store.max_message_id() + 1
        self._task = asyncio.create_task(self._run(), name="publisher")

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
        if change.kind == "send":
            media.check_free_space(self.config)
        self._queue.append(change)
        self._wake.set()
        return change.future

    async def submit(self, change: Change) -> Committed:
        """Queue a change and wait for its outcome; a caller that goes away does not undo it."""
        return await asyncio.shield(self.enqueue(change))

    async def purge(self, user: Row, base: str = "") -> int:
        """Delete every live message of a user, on a site admin's order, each as its author's deletion
        is (in rooms they left too); returns how many were deleted."""
        found = await self.store.live_messages_of(user["id"])
        room_rows = {room_id: await self.store.get_room(room_id) for room_id in {m["room_id"] for m in found}}
        outcomes = await asyncio.gather(*(
            self.submit(Change("delete", room_rows[m["room_id"]], user, {"message_id": m["id"], "purge": True}, base=base))
            for m in found if room_rows[m["room_id"]] is not None), return_exceptions=True)
        return sum(not isinstance(outcome, BaseException) for outcome in outcomes)

    async def writable(self) -> bool:
        """Whether writes work: after a failed batch, an empty transaction tells (and clears the failure)."""
        if self.failing:
            await self.store.check_writes()
            self.failing = False
        return True

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
        try:
            (outcomes, frames), batch = await self.store.write_changes(
                partial(_encoded, changes), self._next_id, self._seqs, self._names)
        except Exception as exc:  # the whole transaction rolled back: nothing happened
            log.exception("write batch of %d changes failed", len(changes))
            self.failing = True
            for change in changes:  # every sender hears of it, with its client_id, and may retry
                self._publish(change, self._refusal(exc), None)
            return
        self.failing = False
        self._next_id = batch.next_id
        self._seqs.update(batch.seqs)
        self._names.update(batch.names)
        self._account(changes, outcomes, time.perf_counter() - started)
        for change, outcome, ready in zip(changes, outcomes, frames):
            self._publish(change, outcome, ready)

    def _refusal(self, exc: Exception) -> ChatError:
        """What the senders of a failed batch are told: `unavailable` when the database is locked or full."""
        if self.store.not_taking_writes(exc):
            return ChatError("unavailable", "The database is not taking writes right now; try again.", status=503)
        return ChatError("internal", "The change could not be saved; try again.", status=500)

    def _account(self, changes: list[Change], outcomes: list[Any], seconds: float) -> None:
        m = self.metrics
        m.write_batch(len(changes), seconds)
        for change, outcome in zip(changes, outcomes):
            if isinstance(outcome, Committed) and outcome.seq is not None:
                m.inc("chat_events_committed_total")
                if change.kind == "send":
                    m.inc("chat_messages_committed_total")

    def _publish(self, change: Change, outcome: Committed | ChatError, ready: Frames | None) -> None:
        peer = cast("Peer | None", change.reply_to)
        if isinstance(outcome, ChatError):
            if peer is not None:
                refuse(peer, self.metrics, outcome, change.data.get("client_id") or None)
            _settle(change, outcome)
            return
        frame, own, reply = ready or (None, None, None)
        if frame is not None:
            delivered = self.bus.broadcast(outcome.room_id, frame, own, outcome.sender_id, outcome.seq)
            self.metrics.inc("chat_broadcasts_total")
            self.metrics.inc("chat_deliveries_total", delivered)
            self.bus.notify(outcome.room_id, outcome.seq, EVENTS[change.kind], change.user["id"])
        if reply is not None and peer is not None:
            peer.deliver(reply)
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


def _encoded(changes: list[Change], batch: ChangeBatch) -> tuple[list[Committed | ChatError], list[Frames | None]]:
    """Apply a batch and encode what each outcome sends, in the same trip to the writer's side."""
    outcomes = apply(changes, batch)
    return outcomes, [_frames(outcome) for outcome in outcomes]


def _frames(outcome: Committed | ChatError) -> Frames | None:
    """The ready WebSocket frames of an outcome: the room's, the sender's copy, the asker's reply."""
    if isinstance(outcome, ChatError):
        return None
    frame = own = reply = None
    if outcome.event is not None:
        frame = text_frame(outcome.logged if outcome.logged is not None else dumps(outcome.event))
        own = text_frame(dumps(outcome.own))
    if outcome.reply is not None:
        reply = text_frame(dumps(outcome.reply))
    return frame, own, reply
