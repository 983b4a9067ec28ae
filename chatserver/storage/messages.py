"""Queries on messages, reactions, mentions and the per-room event log."""

from __future__ import annotations

from typing import Iterable, Sequence

import orjson

from .db import Database, Row

# The message replied to, as clients show it above a reply; its content is blank once it is deleted.
PARENT = (
    "(SELECT json_object('id', p.id, 'content', CASE WHEN p.is_deleted THEN '' ELSE p.content END,"
    " 'created_at', p.created_at, 'sender', json_object('id', pu.id, 'name', pu.first_name, 'photo', pu.photo))"
    " FROM messages p JOIN users pu ON pu.id = p.sender_id WHERE p.id = {0})")

MESSAGE_SELECT = (
    "SELECT m.id, m.room_id, m.sender_id, m.message_type, m.content, m.attachment, m.parent_id,"
    " m.is_deleted, m.is_edited, m.seq, m.created_at, m.updated_at, m.pinned_at, m.pinned_by,"
    " u.first_name, u.last_name, u.role, u.photo, u.year, g.name AS room_name, "
    + PARENT.format("m.parent_id") + " AS parent,"
    " (SELECT json_group_object(reaction, n) FROM (SELECT reaction, count(*) AS n FROM reactions r"
    "   WHERE r.message_id = m.id GROUP BY reaction ORDER BY reaction)) AS reactions,"
    " (SELECT json_group_array(user_id) FROM (SELECT user_id FROM mentions x"
    "   WHERE x.message_id = m.id ORDER BY user_id)) AS mentions"
    " FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms g ON g.id = m.room_id")


def decoded(rows: Iterable[Row]) -> list[Row]:
    """Rows of MESSAGE_SELECT with their JSON columns (reactions, mentions, parent) parsed."""
    out = []
    for row in rows:
        row["reactions"] = orjson.loads(row["reactions"])
        row["mentions"] = orjson.loads(row["mentions"])
        row["parent"] = orjson.loads(row["parent"]) if row["parent"] else None
        out.append(row)
    return out


async def history(db: Database, room_id: int, before: int | None, limit: int) -> list[Row]:
    """Up to limit messages of the room older than message id `before`, newest first (keyset)."""
    rows = await db.fetchall(
        f"{MESSAGE_SELECT} WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
        (room_id, before if before is not None else 2**63 - 1, limit))
    return decoded(rows)


async def around(db: Database, room_id: int, message_id: int, limit: int) -> list[Row]:
    """Up to limit messages of the room centred on message_id (it included), newest first.

    Near either end of the history the page fills from the other side."""
    ids = "SELECT id FROM messages WHERE room_id = ? AND id {} ? ORDER BY id {} LIMIT ?"
    newer = await db.fetchall(ids.format(">", "ASC"), (room_id, message_id, limit - 1))
    older = await db.fetchall(ids.format("<=", "DESC"), (room_id, message_id, limit))
    taken = min(len(newer), max((limit - 1) // 2, limit - len(older)))
    top = newer[taken - 1]["id"] if taken else message_id
    return await history(db, room_id, top + 1, min(limit, taken + len(older)))


async def page(db: Database, room_id: int, offset: int, limit: int) -> list[Row]:
    """One numbered page of the room's messages, newest first.

    The offset is walked in the index of (room_id, id) alone; only the page's rows are joined."""
    rows = await db.fetchall(
        f"{MESSAGE_SELECT} WHERE m.id IN (SELECT id FROM messages WHERE room_id = ?"
        " ORDER BY id DESC LIMIT ? OFFSET ?) ORDER BY m.id DESC", (room_id, limit, offset))
    return decoded(rows)


async def pinned(db: Database, room_id: int) -> list[Row]:
    """The room's pinned messages, the latest pin first."""
    return decoded(await db.fetchall(f"{MESSAGE_SELECT} WHERE m.room_id = ? AND m.pinned_at IS NOT NULL"
                                     " ORDER BY m.pinned_at DESC, m.id DESC", (room_id,)))


async def count(db: Database, room_id: int) -> int:
    """How many messages the room holds."""
    row = await db.fetchone("SELECT count(*) AS n FROM messages WHERE room_id = ?", (room_id,))
    return row["n"]


async def get_message(db: Database, message_id: int) -> Row | None:
    """One message in history form."""
    rows = await db.fetchall(f"{MESSAGE_SELECT} WHERE m.id = ?", (message_id,))
    return decoded(rows)[0] if rows else None


async def max_message_id(db: Database) -> int:
    """The largest message id ever handed out (deleted ones included), 0 for none."""
    row = await db.fetchone("SELECT max(coalesce((SELECT max(id) FROM messages), 0),"
                            " (SELECT value FROM high_water WHERE name = 'message_id')) AS n")
    return row["n"]


async def attachments_of(db: Database, user_id: int) -> list[str]:
    """The stored file names of the user's messages that still have an attachment."""
    rows = await db.fetchall("SELECT attachment FROM messages WHERE sender_id = ? AND attachment IS NOT NULL",
                             (user_id,))
    return [r["attachment"] for r in rows]


async def live_messages_of(db: Database, user_id: int) -> list[Row]:
    """The ids and rooms (room_id) of the user's messages that are not deleted, oldest first."""
    return await db.fetchall("SELECT id, room_id FROM messages WHERE sender_id = ? AND is_deleted = 0 ORDER BY id",
                             (user_id,))


async def live_ids_of(db: Database, room_id: int, sender_id: int) -> list[int]:
    """The ids of a user's messages in a room that are not deleted, oldest first."""
    rows = await db.fetchall("SELECT id FROM messages WHERE room_id = ? AND sender_id = ? AND is_deleted = 0 ORDER BY id",
                             (room_id, sender_id))
    return [r["id"] for r in rows]


async def all_attachments(db: Database) -> list[str]:
    """Every stored file name a message still refers to."""
    rows = await db.fetchall("SELECT attachment FROM messages WHERE attachment IS NOT NULL")
    return [r["attachment"] for r in rows]


async def events_after(db: Database, room_id: int, after_seq: int, limit: int) -> list[Row]:
    """The room's events with seq > after_seq, oldest first: seq, kind, message_id, frame."""
    return await db.fetchall(
        "SELECT seq, kind, message_id, frame FROM events WHERE room_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?", (room_id, after_seq, limit))


async def room_seq(db: Database, room_id: int) -> int:
    """The seq of the room's newest event."""
    row = await db.fetchone("SELECT last_seq FROM rooms WHERE id = ?", (room_id,))
    return row["last_seq"] if row else 0


async def last_messages(db: Database, message_ids: Sequence[int]) -> dict[int, Row]:
    """Messages by id with their sender's names, for room lists: id, content, created_at, sender."""
    if not message_ids:
        return {}
    rows = await db.fetchall(
        "SELECT m.id, m.content, m.message_type, m.created_at, m.sender_id, u.first_name, u.last_name"
        " FROM json_each(?) k JOIN messages m ON m.id = k.value JOIN users u ON u.id = m.sender_id",
        (orjson.dumps(list(message_ids)).decode(),))
    return {r["id"]: r for r in rows}
