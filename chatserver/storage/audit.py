"""The audit log: one append-only row per moderation action, written in the action's own transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from .db import Database, Row, now_iso

# Every action the log records; the API documents each.
ACTIONS = frozenset({
    "message_deleted", "member_removed", "banned", "unbanned", "muted", "unmuted", "moderator_added",
    "moderator_removed", "room_kind_changed", "room_read_only_changed", "user_suspended",
    "user_unsuspended", "invite_created", "invite_revoked", "ownership_transferred"})


def record(conn: sqlite3.Connection, actor_id: int | None, action: str, *, room_id: int | None = None,
           target_id: int | None = None, message_id: int | None = None, reason: str = "",
           detail: dict[str, Any] | None = None) -> int:
    """Append one row, on the writer's connection inside the caller's transaction; returns its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return conn.execute(
        "INSERT INTO audit (at, actor_id, action, room_id, target_id, message_id, reason, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (now_iso(), actor_id, action, room_id, target_id, message_id, reason,
         orjson.dumps(detail).decode() if detail is not None else None)).lastrowid


async def entries(db: Database, after_id: int = 0, room_id: int | None = None, limit: int = 100) -> list[Row]:
    """Rows after after_id, oldest first; only one room's with room_id."""
    where, params = ("id > ? AND room_id = ?", (after_id, room_id)) if room_id is not None else ("id > ?", (after_id,))
    rows = await db.fetchall(f"SELECT * FROM audit WHERE {where} ORDER BY id LIMIT ?", (*params, limit))
    for row in rows:
        row["detail"] = orjson.loads(row["detail"]) if row["detail"] is not None else None
    return rows
