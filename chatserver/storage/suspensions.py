"""Queries on site suspensions: a suspended user holds no token and gets none until unsuspended."""

from __future__ import annotations

import sqlite3

from ..store import NoSuchUser
from . import audit
from .db import Database, now_iso


async def set_suspended(db: Database, user_id: int, actor_id: int | None, suspended: bool,
                        reason: str = "") -> tuple[bool, list[int]]:
    """Suspend (revoking every token) or unsuspend a user, with its audit row, in one transaction;
    returns (whether anything changed, the ids of the tokens revoked)."""
    return await db.write(_set_suspended, user_id, actor_id, suspended, reason, now_iso())


def _set_suspended(conn: sqlite3.Connection, user_id: int, actor_id: int | None, suspended: bool,
                   reason: str, now: str) -> tuple[bool, list[int]]:
    row = conn.execute("SELECT suspended_at FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NoSuchUser(user_id)
    revoked = sorted(r["id"] for r in conn.execute(
        "DELETE FROM tokens WHERE user_id = ? RETURNING id", (user_id,))) if suspended else []
    if (row["suspended_at"] is not None) == suspended:
        return False, revoked
    conn.execute("UPDATE users SET suspended_at = ?, updated_at = ? WHERE id = ?",
                 (now if suspended else None, now, user_id))
    audit.record(conn, actor_id, "user_suspended" if suspended else "user_unsuspended",
                 target_id=user_id, reason=reason)
    return True, revoked
