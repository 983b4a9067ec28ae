"""The search index's writes: on the writer's connection, inside the transaction of the change.

The index tables are contentless (schema.sql), so a row leaves them only by naming what it was
indexed with: search_key(content), computed by the same function that indexed it. Messages with
ids up to the 'search_backfill' mark are not indexed yet; backfill_step indexes them, newest first.
"""

from __future__ import annotations

import sqlite3

LEFT = "(SELECT value FROM high_water WHERE name = 'search_backfill')"
# Which messages each table holds: the words of every message with text, the trigrams of those
# written in a script without spaces. Unindexing must name exactly the rows indexing wrote.
_TABLES = (("search_words", "m.content != ''"), ("search_grams", "unspaced(m.content)"))


def index_new(conn: sqlite3.Connection, rows: str) -> None:
    """Index new messages, rows as insert_messages takes them (a JSON array, content at index 4)."""
    conn.execute("INSERT INTO search_words (rowid, body) SELECT value ->> 0, search_key(value ->> 4)"
                 " FROM json_each(?) WHERE value ->> 4 != ''", (rows,))
    conn.execute("INSERT INTO search_grams (rowid, body) SELECT value ->> 0, search_key(value ->> 4)"
                 " FROM json_each(?) WHERE unspaced(value ->> 4)", (rows,))


def index(conn: sqlite3.Connection, message_id: int) -> None:
    """Index a message's current text (after an edit), unless the backfill has yet to reach it."""
    _index(conn, f"m.id = ? AND m.id > {LEFT}", (message_id,))


def _index(conn: sqlite3.Connection, where: str, params: tuple[int, ...]) -> None:
    for table, holds in _TABLES:
        conn.execute(f"INSERT INTO {table} (rowid, body) SELECT m.id, search_key(m.content) FROM messages m"
                     f" WHERE {where} AND m.is_deleted = 0 AND {holds}", params)


def unindex(conn: sqlite3.Connection, message_id: int) -> None:
    """Take a message's current text out of the index (before an edit or a delete)."""
    _unindex(conn, "m.id = ?", (message_id,))


def unindex_room(conn: sqlite3.Connection, room_id: int) -> None:
    """Take every message of a room out of the index (before the room is deleted)."""
    _unindex(conn, "m.room_id = ?", (room_id,))


def _unindex(conn: sqlite3.Connection, where: str, params: tuple[int, ...]) -> None:
    for table, holds in _TABLES:
        conn.execute(f"INSERT INTO {table} ({table}, rowid, body) SELECT 'delete', m.id, search_key(m.content)"
                     f" FROM messages m WHERE {where} AND m.id > {LEFT} AND m.is_deleted = 0 AND {holds}", params)


def backfill_step(conn: sqlite3.Connection, count: int) -> int:
    """Index up to count of the newest messages not indexed yet; returns the mark left (0: all indexed)."""
    (left,) = conn.execute(f"SELECT {LEFT}").fetchone().values()
    if left <= 0:
        return 0
    low = conn.execute("SELECT min(id) AS low FROM (SELECT id FROM messages WHERE id <= ?"
                       " ORDER BY id DESC LIMIT ?)", (left, count)).fetchone()["low"]
    remaining = 0
    if low is not None:
        _index(conn, "m.id BETWEEN ? AND ?", (low, left))
        if conn.execute("SELECT 1 AS yes FROM messages WHERE id < ? LIMIT 1", (low,)).fetchone() is not None:
            remaining = low - 1
    conn.execute("UPDATE high_water SET value = ? WHERE name = 'search_backfill'", (remaining,))
    return remaining
