"""Queries on moderators and bans; each change writes its audit row in its own transaction."""

from __future__ import annotations

import sqlite3

from . import audit
from .db import Database, Row, now_iso
from .members import member_state

BAN_SELECT = (
    "SELECT b.user_id, u.first_name, u.last_name, u.photo, b.reason, b.created_at, b.actor_id,"
    " a.first_name AS actor_first_name, a.last_name AS actor_last_name"
    " FROM bans b JOIN users u ON u.id = b.user_id LEFT JOIN users a ON a.id = b.actor_id WHERE b.room_id = ?")


async def set_moderator(db: Database, room_id: int, user_id: int, moderator: bool, actor_id: int) -> Row:
    """Make a member a moderator or take it back; returns member_state() as it was before (nothing changes
    for a non-member, the owner, or a member already so)."""
    return await db.write(_set_moderator, room_id, user_id, moderator, actor_id)


def _set_moderator(conn: sqlite3.Connection, room_id: int, user_id: int, moderator: bool, actor_id: int) -> Row:
    before = member_state(conn, room_id, user_id)
    if before["is_member"] and before["owner_id"] != user_id and bool(before["moderator"]) != moderator:
        conn.execute("UPDATE members SET moderator = ? WHERE room_id = ? AND user_id = ?",
                     (int(moderator), room_id, user_id))
        audit.record(conn, actor_id, "moderator_added" if moderator else "moderator_removed",
                     room_id=room_id, target_id=user_id)
    return before


async def ban(db: Database, room_id: int, user_id: int, actor_id: int, reason: str, spare_moderators: bool) -> Row:
    """Ban a user (a member or not) and remove them from the room, unless they own it, are banned
    already, or are a moderator and spare_moderators is set; returns member_state() as it was before."""
    return await db.write(_ban, room_id, user_id, actor_id, reason, spare_moderators)


def _ban(conn: sqlite3.Connection, room_id: int, user_id: int, actor_id: int, reason: str,
         spare_moderators: bool) -> Row:
    before = member_state(conn, room_id, user_id)
    if before["owner_id"] == user_id or before["banned"] or (spare_moderators and before["moderator"]):
        return before
    conn.execute("INSERT INTO bans (room_id, user_id, actor_id, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                 (room_id, user_id, actor_id, reason, now_iso()))
    conn.execute("DELETE FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id))
    audit.record(conn, actor_id, "banned", room_id=room_id, target_id=user_id, reason=reason,
                 detail={"was_member": bool(before["is_member"])})
    return before


async def unban(db: Database, room_id: int, user_id: int, actor_id: int) -> bool:
    """Lift a ban; False when there was none."""
    return await db.write(_unban, room_id, user_id, actor_id)


def _unban(conn: sqlite3.Connection, room_id: int, user_id: int, actor_id: int) -> bool:
    if not conn.execute("DELETE FROM bans WHERE room_id = ? AND user_id = ?", (room_id, user_id)).rowcount:
        return False
    audit.record(conn, actor_id, "unbanned", room_id=room_id, target_id=user_id)
    return True


async def bans(db: Database, room_id: int) -> list[Row]:
    """A room's bans, newest first, with the banned user's and the banning moderator's names."""
    return await db.fetchall(f"{BAN_SELECT} ORDER BY b.created_at DESC, b.user_id", (room_id,))

