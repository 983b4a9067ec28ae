"""Queries on the members of rooms: join, leave, owner and standing, who belongs where, read positions."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

from ..store import Banned, RoomGone
from . import audit
from .db import Database, Row, contains, execute, now_iso

MEMBER_SELECT = (
    "SELECT u.id, u.first_name, u.last_name, u.role, u.photo, u.year, m.moderator"
    " FROM members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?")


def banned_among(conn: sqlite3.Connection, room_id: int, user_ids: list[int]) -> list[int]:
    """The users among user_ids banned from the room, by id (on the writer, inside a change)."""
    if not user_ids:
        return []
    rows = conn.execute("SELECT user_id FROM bans WHERE room_id = ? AND user_id IN (SELECT value FROM json_each(?))"
                        " ORDER BY user_id", (room_id, json.dumps(user_ids))).fetchall()
    return [row["user_id"] for row in rows]


async def is_member(db: Database, room_id: int, user_id: int) -> bool:
    """Whether the user belongs to the room."""
    return await db.fetchone(
        "SELECT 1 AS yes FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id)) is not None


async def add_member(db: Database, room_id: int, user_id: int) -> bool:
    """Add a member; False if they already were one; Banned (and no change) for a banned user."""
    try:
        return await db.write(_add_member, room_id, user_id, now_iso())
    except sqlite3.IntegrityError:  # OR IGNORE does not cover foreign keys
        raise RoomGone(room_id) from None


def _add_member(conn: sqlite3.Connection, room_id: int, user_id: int, now: str) -> bool:
    if banned_among(conn, room_id, [user_id]):
        raise Banned([user_id])
    return execute(conn, "INSERT OR IGNORE INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)",
                   (room_id, user_id, now)) == 1


def member_state(conn: sqlite3.Connection, room_id: int, user_id: int) -> Row:
    """What a change needs of a room and one user in it (on the writer): owner_id, is_member, moderator, banned."""
    row = conn.execute(
        "SELECT r.owner_id, m.user_id IS NOT NULL AS is_member, coalesce(m.moderator, 0) AS moderator,"
        " EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = ?) AS banned"
        " FROM rooms r LEFT JOIN members m ON m.room_id = r.id AND m.user_id = ? WHERE r.id = ?",
        (user_id, user_id, room_id)).fetchone()
    if row is None:
        raise RoomGone(room_id)
    return row


async def remove_member(db: Database, room_id: int, user_id: int, actor_id: int | None = None,
                        spare_moderators: bool = False) -> Row:
    """Remove a member unless they own the room (or, with spare_moderators, moderate it), checked in the
    same transaction as the removal; returns member_state() as the transaction saw it. A removal by someone else (actor_id) is audited."""
    return await db.write(_remove_member, room_id, user_id, actor_id, spare_moderators)


def _remove_member(conn: sqlite3.Connection, room_id: int, user_id: int, actor_id: int | None,
                   spare_moderators: bool) -> Row:
    row = member_state(conn, room_id, user_id)
    if row["is_member"] and row["owner_id"] != user_id and not (spare_moderators and row["moderator"]):
        conn.execute("DELETE FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id))
        if actor_id is not None and actor_id != user_id:
            audit.record(conn, actor_id, "member_removed", room_id=room_id, target_id=user_id)
    return row


async def transfer_owner(db: Database, room_id: int, new_owner_id: int, actor_id: int | None = None) -> bool:
    """Make a member the owner, checked in the same transaction, and log it; False (and no change) for a non-member."""
    return await db.write(_transfer_owner, room_id, new_owner_id, now_iso(), actor_id)


def _transfer_owner(conn: sqlite3.Connection, room_id: int, new_owner_id: int, now: str,
                    actor_id: int | None) -> bool:
    member = bool(member_state(conn, room_id, new_owner_id)["is_member"])
    if member:
        (old_owner_id,) = conn.execute("SELECT owner_id FROM rooms WHERE id = ?", (room_id,)).fetchone().values()
        conn.execute("UPDATE rooms SET owner_id = ?, updated_at = ? WHERE id = ?", (new_owner_id, now, room_id))
        if old_owner_id != new_owner_id:
            audit.record(conn, actor_id, "ownership_transferred", room_id=room_id, target_id=new_owner_id,
                         detail={"from": old_owner_id})
    return member


async def members(db: Database, room_id: int, q: str | None = None) -> list[Row]:
    """A room's members, by name; with q, those whose first or last name (or both) contain it."""
    if q is None:
        return await db.fetchall(f"{MEMBER_SELECT} ORDER BY u.first_name, u.last_name, u.id", (room_id,))
    return await db.fetchall(
        f"{MEMBER_SELECT} AND (u.first_name || ' ' || u.last_name) LIKE ? ESCAPE '\\'"
        " ORDER BY u.first_name, u.last_name, u.id", (room_id, contains(q)))


async def member_ids(db: Database, room_id: int, user_ids: Iterable[int]) -> set[int]:
    """The ids among user_ids that are members of the room."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    rows = await db.fetchall(
        f"SELECT user_id FROM members WHERE room_id = ? AND user_id IN ({','.join('?' * len(ids))})",
        (room_id, *ids))
    return {r["user_id"] for r in rows}


async def crowded_users(db: Database, user_ids: Iterable[int], limit: int, room_id: int | None = None) -> list[int]:
    """The users among user_ids who are members of `limit` rooms or more, not counting room_id."""
    rows = await db.fetchall(
        "SELECT user_id FROM members WHERE user_id IN (SELECT value FROM json_each(?)) AND room_id IS NOT ?"
        " GROUP BY user_id HAVING count(*) >= ? ORDER BY user_id",
        (json.dumps(sorted(set(user_ids))), room_id, limit))
    return [row["user_id"] for row in rows]


async def rooms_of_users(db: Database, user_ids: list[int]) -> dict[int, set[int]]:
    """user id -> ids of the rooms that user is a member of (users of no room are left out)."""
    rows = await db.fetchall("SELECT user_id, room_id FROM members WHERE user_id IN"
                             " (SELECT value FROM json_each(?))", (json.dumps(user_ids),))
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["user_id"], set()).add(row["room_id"])
    return found


async def mark_read(db: Database, room_id: int, user_id: int) -> None:
    """Move the member's read position to the room's newest message."""
    await db.write(execute, "UPDATE members SET last_read_id = coalesce("
                   "(SELECT max(id) FROM messages WHERE room_id = ?), 0) WHERE room_id = ? AND user_id = ?",
                   (room_id, room_id, user_id))
