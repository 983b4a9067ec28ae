"""Queries on messages, reactions, mentions and the per-room event log."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import aiosqlite
import orjson

from .db import Database, Row

MESSAGE_SELECT = (
    "SELECT m.id, m.room_id, m.sender_id, m.message_type, m.content, m.attachment, m.parent_id,"
    " m.is_deleted, m.is_edited, m.seq, m.created_at, m.updated_at,"
    " u.first_name, u.last_name, u.role, u.photo, u.year,"
    " (SELECT json_group_object(reaction, n) FROM (SELECT reaction, count(*) AS n FROM reactions r"
    "   WHERE r.message_id = m.id GROUP BY reaction ORDER BY reaction)) AS reactions,"
    " (SELECT json_group_array(user_id) FROM (SELECT user_id FROM mentions x"
    "   WHERE x.message_id = m.id ORDER BY user_id)) AS mentions"
    " FROM messages m JOIN users u ON u.id = m.sender_id")


def _decoded(rows: Iterable[Row]) -> list[Row]:
    out = []
    for row in rows:
        row["reactions"] = orjson.loads(row["reactions"])
        row["mentions"] = orjson.loads(row["mentions"])
        out.append(row)
    return out


async def history(db: Database, room_id: int, before: int | None, limit: int) -> list[Row]:
    """Up to limit messages of the room older than message id `before`, newest first (keyset)."""
    rows = await db.fetchall(
        f"{MESSAGE_SELECT} WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
        (room_id, before if before is not None else 2**63 - 1, limit))
    return _decoded(rows)


async def page(db: Database, room_id: int, offset: int, limit: int) -> list[Row]:
    """One numbered page of the room's messages, newest first."""
    rows = await db.fetchall(
        f"{MESSAGE_SELECT} WHERE m.room_id = ? ORDER BY m.id DESC LIMIT ? OFFSET ?",
        (room_id, limit, offset))
    return _decoded(rows)


async def count(db: Database, room_id: int) -> int:
    """How many messages the room holds."""
    row = await db.fetchone("SELECT count(*) AS n FROM messages WHERE room_id = ?", (room_id,))
    return row["n"]


async def get_message(db: Database, message_id: int) -> Row | None:
    """One message in history form."""
    rows = await db.fetchall(f"{MESSAGE_SELECT} WHERE m.id = ?", (message_id,))
    return _decoded(rows)[0] if rows else None


async def max_message_id(db: Database) -> int:
    """The largest message id ever stored, 0 for none."""
    row = await db.fetchone("SELECT coalesce(max(id), 0) AS n FROM messages")
    return row["n"]


async def events_after(db: Database, room_id: int, after_seq: int, limit: int) -> list[Row]:
    """The room's events with seq > after_seq, oldest first: seq, kind, message_id, frame."""
    return await db.fetchall(
        "SELECT seq, kind, message_id, frame FROM events WHERE room_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?", (room_id, after_seq, limit))


async def room_seq(db: Database, room_id: int) -> int:
    """The seq of the room's newest event."""
    row = await db.fetchone("SELECT last_seq FROM rooms WHERE id = ?", (room_id,))
    return row["last_seq"] if row else 0


# Writes below run inside the journal's transaction, on the writer connection.

async def live_room(conn: aiosqlite.Connection, room_id: int) -> Row | None:
    """An active room's last_seq and name, or None when the room is gone."""
    rows = await conn.execute_fetchall(
        "SELECT last_seq, name FROM rooms WHERE id = ? AND is_active = 1", (room_id,))
    return rows[0] if rows else None


async def message_state(conn: aiosqlite.Connection, message_id: int) -> Row | None:
    """What the rules need of a message: room_id, sender_id, is_deleted, attachment."""
    rows = await conn.execute_fetchall(
        "SELECT id, room_id, sender_id, is_deleted, attachment FROM messages WHERE id = ?", (message_id,))
    return rows[0] if rows else None


async def existing_sends(conn: aiosqlite.Connection,
                         keys: Sequence[tuple[int, int, str]]) -> dict[tuple[int, int, str], Row]:
    """Messages already stored under (room_id, sender_id, client_id), with their creation frame."""
    if not keys:
        return {}
    rows = await conn.execute_fetchall(
        "SELECT m.room_id, m.sender_id, m.client_id, m.id, m.seq, e.frame"
        " FROM json_each(?) k JOIN messages m ON m.room_id = k.value ->> 0"
        " AND m.sender_id = k.value ->> 1 AND m.client_id = k.value ->> 2"
        " JOIN events e ON e.room_id = m.room_id AND e.seq = m.seq",
        (orjson.dumps(list(keys)).decode(),))
    return {(r["room_id"], r["sender_id"], r["client_id"]): r for r in rows}


# Rows go in as one JSON array per statement: SQLite inserts them all in one step, so the
# writer thread hands the GIL back once per table instead of once per row. With a busy
# event loop every handback can wait a whole switch interval (docs/PERFORMANCE.md).
# JSON text cannot carry U+0000 into a column, so message texts refuse it before they get here.

def _rows(rows: Sequence[Sequence[Any]]) -> str:
    return orjson.dumps(rows).decode()


async def insert_messages(conn: aiosqlite.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(id, room_id, sender_id, message_type, content, attachment, parent_id, client_id, seq, created_at)."""
    if rows:
        await conn.execute(
            "INSERT INTO messages (id, room_id, sender_id, message_type, content, attachment, parent_id,"
            " client_id, seq, created_at, updated_at) SELECT value ->> 0, value ->> 1, value ->> 2,"
            " value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9,"
            " value ->> 9 FROM json_each(?)", (_rows(rows),))


async def insert_mentions(conn: aiosqlite.Connection, rows: Sequence[tuple[int, int]]) -> None:
    """(message_id, user_id) pairs."""
    if rows:
        await conn.execute("INSERT INTO mentions (message_id, user_id)"
                           " SELECT value ->> 0, value ->> 1 FROM json_each(?)", (_rows(rows),))


async def insert_events(conn: aiosqlite.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(room_id, seq, kind, message_id, frame, created_at)."""
    if rows:
        await conn.execute(
            "INSERT INTO events (room_id, seq, kind, message_id, frame, created_at) SELECT value ->> 0,"
            " value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?)",
            (_rows(rows),))


async def set_room_seqs(conn: aiosqlite.Connection, seqs: dict[int, int]) -> None:
    """Record each room's newest seq."""
    await conn.execute(
        "UPDATE rooms SET last_seq = s.value ->> 1 FROM json_each(?) s WHERE rooms.id = s.value ->> 0",
        (_rows(list(seqs.items())),))


async def edit_content(conn: aiosqlite.Connection, message_id: int, content: str, now: str) -> None:
    """Replace a message's content and mark it edited."""
    await conn.execute("UPDATE messages SET content = ?, is_edited = 1, updated_at = ? WHERE id = ?",
                       (content, now, message_id))


async def erase(conn: aiosqlite.Connection, message_id: int, now: str) -> None:
    """Delete a message: its content, attachment, reactions and mentions are gone, in the log too."""
    await conn.execute("UPDATE messages SET is_deleted = 1, content = '', attachment = NULL,"
                       " updated_at = ? WHERE id = ?", (now, message_id))
    await conn.execute("DELETE FROM reactions WHERE message_id = ?", (message_id,))
    await conn.execute("DELETE FROM mentions WHERE message_id = ?", (message_id,))
    await conn.execute(
        "UPDATE events SET frame = CASE kind"
        " WHEN 'created' THEN json_set(frame, '$.message', '', '$.attachment', json('null'),"
        "  '$.mentions', json('[]'))"
        " WHEN 'edited' THEN json_set(frame, '$.new_content', '') END"
        " WHERE message_id = ? AND kind IN ('created', 'edited')", (message_id,))


async def toggle_reaction(conn: aiosqlite.Connection, message_id: int, user_id: int,
                          reaction: str) -> dict[str, int]:
    """Set the user's reaction (the same one again removes it); returns the counts after."""
    rows = await conn.execute_fetchall("SELECT reaction FROM reactions WHERE message_id = ? AND user_id = ?",
                                       (message_id, user_id))
    if rows and rows[0]["reaction"] == reaction:
        await conn.execute("DELETE FROM reactions WHERE message_id = ? AND user_id = ?", (message_id, user_id))
    else:
        await conn.execute(
            "INSERT INTO reactions (message_id, user_id, reaction) VALUES (?, ?, ?)"
            " ON CONFLICT (message_id, user_id) DO UPDATE SET reaction = excluded.reaction",
            (message_id, user_id, reaction))
    rows = await conn.execute_fetchall(
        "SELECT reaction, count(*) AS n FROM reactions WHERE message_id = ? GROUP BY reaction"
        " ORDER BY reaction", (message_id,))
    return {r["reaction"]: r["n"] for r in rows}


async def last_messages(db: Database, message_ids: Sequence[int]) -> dict[int, Row]:
    """Messages by id with their sender's names, for room lists: id, content, created_at, sender."""
    if not message_ids:
        return {}
    rows = await db.fetchall(
        "SELECT m.id, m.content, m.message_type, m.created_at, m.sender_id, u.first_name, u.last_name"
        " FROM json_each(?) k JOIN messages m ON m.id = k.value JOIN users u ON u.id = m.sender_id",
        (orjson.dumps(list(message_ids)).decode(),))
    return {r["id"]: r for r in rows}
