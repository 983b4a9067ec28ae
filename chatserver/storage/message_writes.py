"""The writes of a batch of room changes: plain functions on the writer's sqlite3 connection.

SqliteBatch (storage/batch.py) runs a whole batch of them on the writer's thread inside one
transaction, so a batch costs one thread hop however many statements it makes.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence

import orjson

from . import search_index
from .db import Row
from .messages import MESSAGE_SELECT, PARENT, decoded


def _one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Row | None:
    rows = conn.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _rows(rows: Sequence[Sequence[Any]]) -> str:
    return orjson.dumps(rows).decode()


def live_room(conn: sqlite3.Connection, room_id: int) -> Row | None:
    """An active room's last_seq and name, or None when the room is gone."""
    return _one(conn, "SELECT last_seq, name FROM rooms WHERE id = ? AND is_active = 1", (room_id,))


def message_state(conn: sqlite3.Connection, message_id: int) -> Row | None:
    """What the rules need of a message: room_id, sender_id, is_deleted, attachment, pinned_at."""
    return _one(conn, "SELECT id, room_id, sender_id, is_deleted, attachment, pinned_at FROM messages WHERE id = ?",
                (message_id,))


def reply_target(conn: sqlite3.Connection, message_id: int) -> Row | None:
    """A message being replied to: its room_id, and under "parent" what a reply shows of it."""
    row = _one(conn, f"SELECT t.room_id, {PARENT.format('t.id')} AS parent FROM messages t WHERE t.id = ?",
               (message_id,))
    if row is not None:
        row["parent"] = orjson.loads(row["parent"])
    return row


def message_row(conn: sqlite3.Connection, message_id: int) -> Row:
    """One message in history form, as the writer sees it mid-transaction."""
    return decoded(conn.execute(f"{MESSAGE_SELECT} WHERE m.id = ?", (message_id,)).fetchall())[0]


def memberships(conn: sqlite3.Connection, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Row]:
    """The (room_id, user_id) pairs among pairs where the user is a member of the room now, each with
    their standing in it: moderator, and the room's owner_id and read_only."""
    if not pairs:
        return {}
    rows = conn.execute("SELECT m.room_id, m.user_id, m.moderator, r.owner_id, r.read_only FROM json_each(?) p"
                        " JOIN members m ON m.room_id = p.value ->> 0 AND m.user_id = p.value ->> 1"
                        " JOIN rooms r ON r.id = m.room_id", (_rows(pairs),)).fetchall()
    return {(r["room_id"], r["user_id"]): r for r in rows}


def blocked_rooms(conn: sqlite3.Connection, room_ids: Sequence[int]) -> set[int]:
    """The rooms among room_ids whose members include two users one of whom blocks the other."""
    if not room_ids:
        return set()
    rows = conn.execute("SELECT DISTINCT a.room_id FROM members a"
                        " JOIN blocks b ON b.user_id = a.user_id"
                        " JOIN members o ON o.room_id = a.room_id AND o.user_id = b.blocked_id"
                        " WHERE a.room_id IN (SELECT value FROM json_each(?))", (_rows(room_ids),)).fetchall()
    return {r["room_id"] for r in rows}


def existing_sends(conn: sqlite3.Connection,
                   keys: Sequence[tuple[int, int, str]]) -> dict[tuple[int, int, str], Row]:
    """Messages already stored under (room_id, sender_id, client_id), with their creation frame."""
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT m.room_id, m.sender_id, m.client_id, m.id, m.seq, e.frame"
        " FROM json_each(?) k JOIN messages m ON m.room_id = k.value ->> 0"
        " AND m.sender_id = k.value ->> 1 AND m.client_id = k.value ->> 2"
        " JOIN events e ON e.room_id = m.room_id AND e.seq = m.seq", (_rows(keys),)).fetchall()
    return {(r["room_id"], r["sender_id"], r["client_id"]): r for r in rows}


# Rows go in as one JSON array per statement: SQLite inserts them all in one step, so the
# writer thread hands the GIL back once per table instead of once per row. With a busy
# event loop every handback can wait a whole switch interval (docs/PERFORMANCE.md).
# JSON text cannot carry U+0000 into a column, so message texts refuse it before they get here.

def insert_messages(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(id, room_id, sender_id, message_type, content, attachment, parent_id, client_id, seq, created_at)."""
    if rows:
        array = _rows(rows)
        conn.execute(
            "INSERT INTO messages (id, room_id, sender_id, message_type, content, attachment, parent_id,"
            " client_id, seq, created_at, updated_at) SELECT value ->> 0, value ->> 1, value ->> 2,"
            " value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9,"
            " value ->> 9 FROM json_each(?)", (array,))
        search_index.index_new(conn, array)


def insert_mentions(conn: sqlite3.Connection, rows: Sequence[tuple[int, int]]) -> None:
    """(message_id, user_id) pairs."""
    if rows:
        conn.execute("INSERT INTO mentions (message_id, user_id)"
                     " SELECT value ->> 0, value ->> 1 FROM json_each(?)", (_rows(rows),))


def insert_events(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(room_id, seq, kind, message_id, frame, created_at)."""
    if rows:
        conn.execute(
            "INSERT INTO events (room_id, seq, kind, message_id, frame, created_at) SELECT value ->> 0,"
            " value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?)",
            (_rows(rows),))


def set_room_seqs(conn: sqlite3.Connection, seqs: dict[int, int]) -> None:
    """Record each room's newest seq."""
    if seqs:
        conn.execute(
            "UPDATE rooms SET last_seq = s.value ->> 1 FROM json_each(?) s WHERE rooms.id = s.value ->> 0",
            (_rows(list(seqs.items())),))


def raise_high_water(conn: sqlite3.Connection, message_id: int) -> None:
    """Record that ids up to message_id were handed out, so that none is ever handed out again."""
    conn.execute("UPDATE high_water SET value = max(value, ?) WHERE name = 'message_id'", (message_id,))


def edit_content(conn: sqlite3.Connection, message_id: int, content: str, now: str) -> None:
    """Replace a message's content and mark it edited; search finds it by the new text only."""
    search_index.unindex(conn, message_id)
    conn.execute("UPDATE messages SET content = ?, is_edited = 1, updated_at = ? WHERE id = ?",
                 (content, now, message_id))
    search_index.index(conn, message_id)


def erase(conn: sqlite3.Connection, message_id: int, now: str, deleted_by: int) -> None:
    """Delete a message (deleted_by: who did): its content, attachment, reactions, mentions and pin are gone, in
    the log and the index too."""
    search_index.unindex(conn, message_id)
    conn.execute("UPDATE messages SET is_deleted = 1, content = '', attachment = NULL, pinned_at = NULL, pinned_by = NULL,"
                 " deleted_by = ?, updated_at = ? WHERE id = ?", (deleted_by, now, message_id))
    conn.execute("DELETE FROM reactions WHERE message_id = ?", (message_id,))
    conn.execute("DELETE FROM mentions WHERE message_id = ?", (message_id,))
    conn.execute(
        "UPDATE events SET frame = json_set(frame, '$.message', '', '$.attachment', json('null'),"
        " '$.mentions', json('[]'), '$.reactions', json('{}'))"
        " WHERE message_id = ? AND kind != 'deleted'", (message_id,))
    conn.execute("UPDATE events SET frame = json_set(frame, '$.new_content', '')"
                 " WHERE message_id = ? AND kind = 'edited'", (message_id,))
    conn.execute(
        "UPDATE events SET frame = json_set(frame, '$.parent_message.content', '')"
        " WHERE message_id IN (SELECT id FROM messages WHERE parent_id = ?)"
        " AND frame ->> '$.parent_message.id' IS NOT NULL", (message_id,))


def pin_rights(conn: sqlite3.Connection, room_id: int, user_id: int) -> Row:
    """What decides whether user_id may pin in the room now: owner_id, members_may_pin, is_moderator."""
    return _one(conn, "SELECT r.owner_id, r.members_may_pin, coalesce(m.moderator, 0) AS is_moderator FROM rooms r"
                " LEFT JOIN members m ON m.room_id = r.id AND m.user_id = ? WHERE r.id = ?", (user_id, room_id))


def pin_count(conn: sqlite3.Connection, room_id: int) -> int:
    """How many of the room's messages are pinned."""
    return conn.execute("SELECT count(*) AS n FROM messages WHERE room_id = ? AND pinned_at IS NOT NULL",
                        (room_id,)).fetchone()["n"]


def set_pin(conn: sqlite3.Connection, message_id: int, pinned_by: int | None, now: str) -> None:
    """Pin a message (by pinned_by, now), or unpin it with None."""
    conn.execute("UPDATE messages SET pinned_at = ?, pinned_by = ? WHERE id = ?",
                 (now if pinned_by is not None else None, pinned_by, message_id))


def toggle_reaction(conn: sqlite3.Connection, message_id: int, user_id: int, reaction: str) -> dict[str, int]:
    """Set the user's reaction (the same one again removes it); returns the counts after."""
    row = _one(conn, "SELECT reaction FROM reactions WHERE message_id = ? AND user_id = ?",
               (message_id, user_id))
    if row is not None and row["reaction"] == reaction:
        conn.execute("DELETE FROM reactions WHERE message_id = ? AND user_id = ?", (message_id, user_id))
    else:
        conn.execute(
            "INSERT INTO reactions (message_id, user_id, reaction) VALUES (?, ?, ?)"
            " ON CONFLICT (message_id, user_id) DO UPDATE SET reaction = excluded.reaction",
            (message_id, user_id, reaction))
    rows = conn.execute(
        "SELECT reaction, count(*) AS n FROM reactions WHERE message_id = ? GROUP BY reaction"
        " ORDER BY reaction", (message_id,)).fetchall()
    return {r["reaction"]: r["n"] for r in rows}
