"""Queries on invites: create, list and revoke a room's, and accept one (a use counted in the join's transaction)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from ..store import RoomGone, TooManyInvites
from . import audit
from .db import Database, Row, iso, now_iso

SELECT = ("SELECT code, room_id, expires_at, max_uses, uses, created_at, creator_id AS created_by FROM invites")
# An invite that can still be used, at time ?.
LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (max_uses IS NULL OR uses < max_uses)"


async def create(db: Database, room_id: int, creator_id: int, code: str, expires_in: int | None,
                 max_uses: int | None, limit: int) -> Row:
    """A new invite (its audit row in the same transaction); TooManyInvites past `limit` live ones (0: none)."""
    now = datetime.now(timezone.utc)
    expires_at = None if expires_in is None else iso(now + timedelta(seconds=expires_in))
    return await db.write(_create, room_id, creator_id, code, expires_at, max_uses, limit, iso(now))


def _create(conn: sqlite3.Connection, room_id: int, creator_id: int, code: str, expires_at: str | None,
            max_uses: int | None, limit: int, now: str) -> Row:
    live = conn.execute(f"SELECT count(*) AS n FROM invites WHERE room_id = ? AND {LIVE}", (room_id, now)).fetchone()
    if limit and live["n"] >= limit:
        raise TooManyInvites(room_id)
    try:
        conn.execute("INSERT INTO invites (code, room_id, creator_id, expires_at, max_uses, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (code, room_id, creator_id, expires_at, max_uses, now))
    except sqlite3.IntegrityError:  # the room was deleted since it was read
        raise RoomGone(room_id) from None
    audit.record(conn, creator_id, "invite_created", room_id=room_id,
                 detail={"code": code, "expires_at": expires_at, "max_uses": max_uses})
    return dict(conn.execute(f"{SELECT} WHERE code = ?", (code,)).fetchone())


async def live(db: Database, room_id: int) -> list[Row]:
    """A room's invites that can still be used, oldest first."""
    return await db.fetchall(f"{SELECT} WHERE room_id = ? AND {LIVE} ORDER BY id", (room_id, now_iso()))


async def revoke(db: Database, room_id: int, code: str, actor_id: int) -> bool:
    """Revoke a live invite of the room (audited in the same transaction); False if there is none by that code."""
    return await db.write(_revoke, room_id, code, actor_id, now_iso())


def _revoke(conn: sqlite3.Connection, room_id: int, code: str, actor_id: int, now: str) -> bool:
    if conn.execute(f"UPDATE invites SET revoked_at = ? WHERE code = ? AND room_id = ? AND {LIVE}",
                    (now, code, room_id, now)).rowcount == 0:
        return False
    audit.record(conn, actor_id, "invite_revoked", room_id=room_id, detail={"code": code})
    return True


async def accept(db: Database, code: str, user_id: int, room_limit: int) -> tuple[str, int | None]:
    """Join the user to the invite's room, counting one use, in one transaction. Returns (outcome, room id):
    joined, member (already one: no use counted), invalid (unknown, revoked, expired, used up, or its room
    closed), banned, or crowded (the user is in room_limit rooms already; 0: no limit)."""
    return await db.write(_accept, code, user_id, room_limit, now_iso())


def _accept(conn: sqlite3.Connection, code: str, user_id: int, room_limit: int, now: str) -> tuple[str, int | None]:
    invite = conn.execute(
        f"SELECT i.id, i.room_id, {LIVE} AS live, EXISTS (SELECT 1 FROM members m WHERE m.room_id = i.room_id"
        " AND m.user_id = ?) AS member FROM invites i JOIN rooms r ON r.id = i.room_id"
        " WHERE i.code = ? AND r.is_active = 1", (now, user_id, code)).fetchone()
    if invite is None:
        return "invalid", None
    room_id = invite["room_id"]
    if invite["member"]:  # a member learns nothing new of the room, whatever the invite's state
        return "member", room_id
    if not invite["live"]:
        return "invalid", None
    if conn.execute("SELECT 1 FROM bans WHERE room_id = ? AND user_id = ?", (room_id, user_id)).fetchone():
        return "banned", room_id
    if room_limit and conn.execute("SELECT count(*) AS n FROM members WHERE user_id = ?",
                                   (user_id,)).fetchone()["n"] >= room_limit:
        return "crowded", room_id
    conn.execute("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)", (room_id, user_id, now))
    conn.execute("UPDATE invites SET uses = uses + 1 WHERE id = ?", (invite["id"],))
    return "joined", room_id
