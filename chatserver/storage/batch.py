"""A batch of room changes on the writer's connection: one transaction, one thread hop, sends buffered.

The domain decides what each change means (chatserver.room_changes); this is the ChangeBatch it does
it with. New messages, their mentions and every change's log entry are buffered and each table's
rows written in one statement when the batch flushes; a read of a message created earlier in the
same batch, and an erase, flush first.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Sequence, TypeVar

import orjson

from . import audit, message_writes, mutes
from .db import Row, now_iso

T = TypeVar("T")
Key = tuple[int, int, str]


class SqliteBatch:
    """The changes of one transaction on the writer's connection (a ChangeBatch).

    The caller's seq and name caches are only read here (the event loop may drop entries
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
        self.new_ids: set[int] = set()  # messages created in this batch

    def next_seq(self, room_id: int) -> int | None:
        """The room's next seq, taken; None when the room is gone."""
        if room_id not in self.seqs:
            known, name = self.known_seqs.get(room_id), self.known_names.get(room_id)
            if known is None or name is None:
                room = message_writes.live_room(self.conn, room_id)
                if room is None:
                    return None
                known, name = room["last_seq"], room["name"]
            self.seqs[room_id], self.names[room_id] = known, name
        self.seqs[room_id] += 1
        return self.seqs[room_id]

    def room_name(self, room_id: int) -> str:
        """The name of a room this batch took a seq of."""
        return self.names[room_id]

    def new_message_id(self) -> int:
        """The next message id, taken."""
        self.next_id += 1
        return self.next_id - 1

    def existing_sends(self, keys: Sequence[Key]) -> dict[Key, Row]:
        """Messages already stored under (room_id, sender_id, client_id), their creation frame parsed."""
        rows = message_writes.existing_sends(self.conn, keys)
        for row in rows.values():
            row["frame"] = orjson.loads(row["frame"])
        return rows

    def memberships(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Row]:
        """The members among (room_id, user_id) pairs, each with their standing: moderator, owner_id, read_only."""
        return message_writes.memberships(self.conn, pairs)

    def muted(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str | None]:
        """(room_id, user_id) -> until (None: until lifted), for the pairs among pairs muted now."""
        return mutes.muted(self.conn, pairs, self.now)

    def blocked_rooms(self, room_ids: Sequence[int]) -> set[int]:
        """The rooms among room_ids where one member blocks another."""
        return message_writes.blocked_rooms(self.conn, room_ids)

    def reply_target(self, message_id: int) -> Row | None:
        """A message being replied to: its room_id, and under "parent" what a reply shows of it."""
        if message_id in self.new_ids:
            self.flush()
        return message_writes.reply_target(self.conn, message_id)

    def message_state(self, message_id: int) -> Row | None:
        """What the rules need of a message: room_id, sender_id, is_deleted, attachment, pinned_at."""
        state = message_writes.message_state(self.conn, message_id)
        if state is None and message_id in self.new_ids:
            self.flush()
            state = message_writes.message_state(self.conn, message_id)
        return state

    def message_row(self, message_id: int) -> Row:
        """One message in history form, as this transaction sees it."""
        return message_writes.message_row(self.conn, message_id)

    def add_message(self, row: tuple[Any, ...], mentions: Sequence[int]) -> None:
        """A new message, its row as insert_messages takes it, and the ids of the users it mentions."""
        self.messages.append(row)
        self.mentions.extend((row[0], uid) for uid in mentions)
        self.new_ids.add(row[0])

    def log_event(self, room_id: int, seq: int, kind: str, message_id: int, frame: dict[str, Any]) -> bytes:
        """Add an event to the room's log; returns the frame as the log keeps it (JSON)."""
        payload = orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS)
        self.events.append((room_id, seq, kind, message_id, payload.decode(), self.now))
        return payload

    def edit_content(self, message_id: int, content: str) -> None:
        """Replace a message's content and mark it edited."""
        message_writes.edit_content(self.conn, message_id, content, self.now)

    def erase(self, message_id: int, deleted_by: int) -> None:
        """Delete a message, in the log too (every entry logged before it in this batch included)."""
        self.flush()
        message_writes.erase(self.conn, message_id, self.now, deleted_by)

    def record(self, actor_id: int, action: str, *, room_id: int, target_id: int, message_id: int) -> None:
        """One row of the audit log, in this transaction."""
        audit.record(self.conn, actor_id, action, room_id=room_id, target_id=target_id, message_id=message_id)

    def toggle_reaction(self, message_id: int, user_id: int, reaction: str) -> dict[str, int]:
        """Set the user's reaction (the same one again removes it); returns the counts after."""
        return message_writes.toggle_reaction(self.conn, message_id, user_id, reaction)

    def pin_rights(self, room_id: int, user_id: int) -> Row:
        """What decides whether user_id may pin in the room now: owner_id, members_may_pin, is_moderator."""
        return message_writes.pin_rights(self.conn, room_id, user_id)

    def pin_count(self, room_id: int) -> int:
        """How many of the room's messages are pinned."""
        return message_writes.pin_count(self.conn, room_id)

    def set_pin(self, message_id: int, pinned_by: int | None) -> None:
        """Pin a message (by pinned_by, now), or unpin it with None."""
        message_writes.set_pin(self.conn, message_id, pinned_by, self.now)

    def flush(self) -> None:
        """Write the buffered messages, mentions and log entries."""
        message_writes.insert_messages(self.conn, self.messages)
        message_writes.insert_mentions(self.conn, self.mentions)
        message_writes.insert_events(self.conn, self.events)
        self.messages, self.mentions, self.events = [], [], []

    def finish(self, first_id: int) -> None:
        """Flush, and record each room's newest seq and the message ids handed out."""
        self.flush()
        message_writes.set_room_seqs(self.conn, self.seqs)
        if self.next_id > first_id:
            message_writes.raise_high_water(self.conn, self.next_id - 1)


def run(conn: sqlite3.Connection, work: Callable[[SqliteBatch], T], next_id: int, known_seqs: dict[int, int],
        known_names: dict[int, str]) -> tuple[T, SqliteBatch]:
    """work(batch) and the batch's last writes (run by Database.write on the writer's thread)."""
    batch = SqliteBatch(conn, next_id, known_seqs, known_names)
    result = work(batch)
    batch.finish(next_id)
    return result, batch
