"""Queries on rooms, membership and read positions."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from ..names import room_key
from ..store import Banned, RoomGone, RoomNameTaken
from . import audit, search_index
from .db import Database, Row, execute, now_iso

ROOM_SELECT = (
    "SELECT r.id, r.name, r.description, r.room_avatar, r.is_active, r.owner_id, r.last_seq,"
    " r.kind, r.read_only, r.members_may_pin, r.created_at, r.updated_at, o.first_name AS owner_first_name, o.last_name AS owner_last_name,"
    " (SELECT count(*) FROM members c WHERE c.room_id = r.id) AS members_count"
    " FROM rooms r JOIN users o ON o.id = r.owner_id")
MEMBER_SELECT = (
    "SELECT u.id, u.first_name, u.last_name, u.role, u.photo, u.year, m.moderator"
    " FROM members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?")


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def missing_users(db: Database, user_ids: Iterable[int]) -> list[int]:
    """The ids among user_ids that name no user."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = await db.fetchall(
        f"SELECT id FROM users WHERE id IN ({','.join('?' * len(ids))})", ids)
    found = {r["id"] for r in rows}
    return [i for i in ids if i not in found]


async def create_room(db: Database, *, name: str, description: str, owner_id: int,
                      member_ids: Iterable[int] = (), kind: str = "public") -> int:
    """Insert a room (public or private) owned (and joined) by owner_id, with more members; returns its id."""
    try:
        return await db.write(_create_room, name, description, owner_id, {owner_id, *member_ids}, now_iso(), kind)
    except sqlite3.IntegrityError:
        raise RoomNameTaken(name) from None


def _create_room(conn: sqlite3.Connection, name: str, description: str, owner_id: int,
                 member_ids: set[int], now: str, kind: str) -> int:
    room_id = conn.execute(
        "INSERT INTO rooms (name, name_key, description, owner_id, kind, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", (name, room_key(name), description, owner_id, kind, now, now)).lastrowid
    conn.executemany("INSERT OR IGNORE INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)",
                     [(room_id, uid, now) for uid in member_ids])
    return room_id


async def room_for(db: Database, room_id: int, user_id: int) -> Row | None:
    """A room as get_room gives it, plus is_member and is_moderator: what user_id is in it (one query)."""
    return await db.fetchone(
        f"SELECT rr.*, m.user_id IS NOT NULL AS is_member, coalesce(m.moderator, 0) AS is_moderator"
        f" FROM ({ROOM_SELECT} WHERE r.id = ?) rr LEFT JOIN members m ON m.room_id = rr.id AND m.user_id = ?",
        (room_id, user_id))


async def get_room(db: Database, room_id: int) -> Row | None:
    """A room with its owner's names and members_count."""
    return await db.fetchone(f"{ROOM_SELECT} WHERE r.id = ?", (room_id,))


async def room_by_name(db: Database, name: str) -> Row | None:
    """A group room by its name (any case, accents or width; the name as stored wins), as get_room."""
    return await db.fetchone(f"{ROOM_SELECT} WHERE (r.name = ? OR r.name_key = ?) AND r.kind != 'direct' ORDER BY r.name = ? DESC LIMIT 1",
                             (name, room_key(name), name))


async def list_rooms(db: Database, q: str | None = None, user_id: int | None = None,
                     every_private: bool = False) -> list[Row]:
    """Active rooms, by id: public ones, and private ones user_id belongs to (every one with every_private);
    with q, those whose name contains it, by name. Direct rooms are never listed."""
    seen = ("(r.kind = 'public' OR (r.kind = 'private' AND (? OR EXISTS"
            " (SELECT 1 FROM members s WHERE s.room_id = r.id AND s.user_id = ?))))")
    if q is None:
        return await db.fetchall(f"{ROOM_SELECT} WHERE r.is_active = 1 AND {seen} ORDER BY r.id",
                                 (int(every_private), user_id))
    return await db.fetchall(
        f"{ROOM_SELECT} WHERE r.is_active = 1 AND {seen} AND r.name LIKE ? ESCAPE '\\' ORDER BY r.name, r.id",
        (int(every_private), user_id, _like(q)))


async def user_rooms(db: Database, user_id: int) -> list[Row]:
    """Rooms the user belongs to, with unread_count, last_message_id and moderator (whether they moderate it)."""
    return await db.fetchall(
        "SELECT rr.*, mb.moderator,"
        " (SELECT count(*) FROM messages m WHERE m.room_id = rr.id AND m.id > mb.last_read_id"
        "  AND m.sender_id != mb.user_id AND m.is_deleted = 0) AS unread_count,"
        " (SELECT max(m.id) FROM messages m WHERE m.room_id = rr.id AND m.is_deleted = 0)"
        "  AS last_message_id"
        f" FROM ({ROOM_SELECT}) rr JOIN members mb ON mb.room_id = rr.id AND mb.user_id = ?"
        " WHERE rr.is_active = 1 ORDER BY rr.id", (user_id,))


async def update_room(db: Database, room_id: int, fields: dict[str, Any],
                      member_ids: Iterable[int] | None = None, actor_id: int | None = None) -> list[int]:
    """Change name/description/room_avatar/owner_id/kind/read_only/members_may_pin, and with member_ids replace
    the members (the owner always stays; banned users are refused with Banned); returns the ids of members removed.
    A change of kind or read_only, and each removal, is audited as actor_id's in the same transaction."""
    allowed = {k: v for k, v in fields.items()
               if k in ("name", "description", "room_avatar", "owner_id", "kind", "read_only", "members_may_pin")}
    if "name" in allowed:
        allowed["name_key"] = room_key(allowed["name"])
    try:
        return await db.write(_update_room, room_id, allowed,
                              None if member_ids is None else list(member_ids), now_iso(), actor_id)
    except sqlite3.IntegrityError:
        raise RoomNameTaken(fields.get("name", "")) from None


def _update_room(conn: sqlite3.Connection, room_id: int, allowed: dict[str, Any],
                 member_ids: list[int] | None, now: str, actor_id: int | None) -> list[int]:
    before = conn.execute("SELECT owner_id, kind, read_only FROM rooms WHERE id = ?", (room_id,)).fetchone()
    if before is None:
        raise RoomGone(room_id)
    if member_ids is not None:
        current = {r["user_id"] for r in conn.execute("SELECT user_id FROM members WHERE room_id = ?", (room_id,))}
        banned = banned_among(conn, room_id, sorted(set(member_ids) - current))
        if banned:
            raise Banned(banned)
    assignments = "".join(f"{name} = ?, " for name in allowed)
    conn.execute(f"UPDATE rooms SET {assignments}updated_at = ? WHERE id = ?", (*allowed.values(), now, room_id))
    if allowed.get("kind", before["kind"]) != before["kind"]:
        audit.record(conn, actor_id, "room_kind_changed", room_id=room_id,
                     detail={"from": before["kind"], "to": allowed["kind"]})
    if "read_only" in allowed and bool(allowed["read_only"]) != bool(before["read_only"]):
        audit.record(conn, actor_id, "room_read_only_changed", room_id=room_id,
                     detail={"read_only": bool(allowed["read_only"])})
    if member_ids is None:
        return []
    keep = {before["owner_id"], *member_ids}
    removed = sorted(current - keep)
    conn.executemany("DELETE FROM members WHERE room_id = ? AND user_id = ?", [(room_id, uid) for uid in removed])
    for uid in removed:
        audit.record(conn, actor_id, "member_removed", room_id=room_id, target_id=uid, detail={"by": "edit"})
    conn.executemany("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)",
                     [(room_id, uid, now) for uid in sorted(keep - current)])
    return removed


def banned_among(conn: sqlite3.Connection, room_id: int, user_ids: list[int]) -> list[int]:
    """The users among user_ids banned from the room, by id (on the writer, inside a change)."""
    if not user_ids:
        return []
    rows = conn.execute("SELECT user_id FROM bans WHERE room_id = ? AND user_id IN (SELECT value FROM json_each(?))"
                        " ORDER BY user_id", (room_id, json.dumps(user_ids))).fetchall()
    return [row["user_id"] for row in rows]


async def delete_room(db: Database, room_id: int) -> list[str]:
    """Delete a room with its members, messages and events; returns the file names of its attachments."""
    return await db.write(_delete_room, room_id)


def _delete_room(conn: sqlite3.Connection, room_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT attachment FROM messages WHERE room_id = ? AND attachment IS NOT NULL", (room_id,)).fetchall()
    search_index.unindex_room(conn, room_id)
    conn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))
    return [r["attachment"] for r in rows]


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


async def transfer_owner(db: Database, room_id: int, new_owner_id: int) -> bool:
    """Make a member the owner, checked in the same transaction; False (and no change) for a non-member."""
    return await db.write(_transfer_owner, room_id, new_owner_id, now_iso())


def _transfer_owner(conn: sqlite3.Connection, room_id: int, new_owner_id: int, now: str) -> bool:
    member = bool(member_state(conn, room_id, new_owner_id)["is_member"])
    if member:
        conn.execute("UPDATE rooms SET owner_id = ?, updated_at = ? WHERE id = ?", (new_owner_id, now, room_id))
    return member


async def members(db: Database, room_id: int, q: str | None = None) -> list[Row]:
    """A room's members, by name; with q, those whose first or last name (or both) contain it."""
    if q is None:
        return await db.fetchall(f"{MEMBER_SELECT} ORDER BY u.first_name, u.last_name, u.id", (room_id,))
    return await db.fetchall(
        f"{MEMBER_SELECT} AND (u.first_name || ' ' || u.last_name) LIKE ? ESCAPE '\\'"
        " ORDER BY u.first_name, u.last_name, u.id", (room_id, _like(q)))


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


async def set_active(db: Database, room_id: int, active: bool) -> None:
    """Open or close a room; an inactive room is hidden from everyone but site admins."""
    await db.write(execute, "UPDATE rooms SET is_active = ?, updated_at = ? WHERE id = ?",
                   (int(active), now_iso(), room_id))
