"""Queries on mutes: a muted member reads but cannot send, edit, react or pin until `until` (NULL: until unmuted).

A mute ends by itself: its stored `until` is compared with the time of each check, so it holds
across a restart and ends after one; an ended mute's row stays until replaced or lifted.
"""

from __future__ import annotations

import sqlite3
from typing import Sequence

import orjson

from ..store import NotAMember
from . import audit
from .db import Database, Row, now_iso

LIVE = "(mu.until IS NULL OR mu.until > ?)"  # ISO times of one fixed width compare as text
MUTE_SELECT = ("SELECT mu.user_id, u.first_name, u.last_name, mu.until, mu.created_at, mu.actor_id"
               " FROM mutes mu JOIN users u ON u.id = mu.user_id WHERE mu.room_id = ?")


async def mute(db: Database, room_id: int, user_id: int, actor_id: int, until: str | None, reason: str) -> Row:
    """Mute a member until `until` (None: until unmuted), replacing a mute they had, with its
    audit row; returns the mute as mutes() lists it."""
    return await db.write(_mute, room_id, user_id, actor_id, until, reason, now_iso())


def _mute(conn: sqlite3.Connection, room_id: int, user_id: int, actor_id: int, until: str | None,
          reason: str, now: str) -> Row:
    if conn.execute("SELECT 1 FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id)).fetchone() is None:
        raise NotAMember(user_id)
    conn.execute("INSERT OR REPLACE INTO mutes (room_id, user_id, actor_id, until, created_at) VALUES (?, ?, ?, ?, ?)",
                 (room_id, user_id, actor_id, until, now))
    audit.record(conn, actor_id, "muted", room_id=room_id, target_id=user_id, reason=reason, detail={"until": until})
    return conn.execute(f"{MUTE_SELECT} AND mu.user_id = ?", (room_id, user_id)).fetchone()


async def unmute(db: Database, room_id: int, user_id: int, actor_id: int, reason: str = "") -> bool:
    """Lift a live mute, with its audit row; False (and nothing written) when none holds."""
    return await db.write(_unmute, room_id, user_id, actor_id, reason, now_iso())


def _unmute(conn: sqlite3.Connection, room_id: int, user_id: int, actor_id: int, reason: str, now: str) -> bool:
    gone = conn.execute(f"DELETE FROM mutes AS mu WHERE room_id = ? AND user_id = ? AND {LIVE} RETURNING 1",
                        (room_id, user_id, now)).fetchall()
    if gone:
        audit.record(conn, actor_id, "unmuted", room_id=room_id, target_id=user_id, reason=reason)
    return bool(gone)


async def mutes(db: Database, room_id: int, user_id: int | None = None) -> list[Row]:
    """The room's mutes in force now (only user_id's with user_id), newest first, with the muted
    member's names."""
    return await db.fetchall(f"{MUTE_SELECT} AND {LIVE} AND (? IS NULL OR mu.user_id = ?)"
                             " ORDER BY mu.created_at DESC, mu.user_id", (room_id, now_iso(), user_id, user_id))


def muted(conn: sqlite3.Connection, pairs: Sequence[tuple[int, int]], now: str) -> dict[tuple[int, int], str | None]:
    """(room_id, user_id) -> until, for the pairs among pairs muted at `now` (on the writer's connection)."""
    if not pairs:
        return {}
    rows = conn.execute(
        f"SELECT mu.room_id, mu.user_id, mu.until FROM json_each(?) p JOIN mutes mu"
        f" ON mu.room_id = p.value ->> 0 AND mu.user_id = p.value ->> 1 WHERE {LIVE}",
        (orjson.dumps(list(pairs)).decode(), now)).fetchall()
    return {(r["room_id"], r["user_id"]): r["until"] for r in rows}
