"""Queries on rooms: create, find, list, edit (with a new member list), close and delete."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

from ..names import room_key
from ..store import Banned, RoomGone, RoomNameTaken
from . import audit, search_index
from .db import Database, Row, contains, execute, now_iso
from .members import banned_among

ROOM_SELECT = (
    "SELECT r.id, r.name, r.description, r.room_avatar, r.is_active, r.owner_id, r.last_seq,"
    " r.kind, r.read_only, r.members_may_pin, r.created_at, r.updated_at, o.first_name AS owner_first_name, o.last_name AS owner_last_name,"
    " (SELECT count(*) FROM members c WHERE c.room_id = r.id) AS members_count"
    " FROM rooms r JOIN users o ON o.id = r.owner_id")


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
        (int(every_private), user_id, contains(q)))


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


async def delete_room(db: Database, room_id: int) -> list[str]:
    """Delete a room with its members, messages and events; returns the file names of its attachments."""
    return await db.write(_delete_room, room_id)


def _delete_room(conn: sqlite3.Connection, room_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT attachment FROM messages WHERE room_id = ? AND attachment IS NOT NULL", (room_id,)).fetchall()
    search_index.unindex_room(conn, room_id)
    conn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))
    return [r["attachment"] for r in rows]


async def set_active(db: Database, room_id: int, active: bool) -> None:
    """Open or close a room; an inactive room is hidden from everyone but site admins."""
    await db.write(execute, "UPDATE rooms SET is_active = ?, updated_at = ? WHERE id = ?",
                   (int(active), now_iso(), room_id))
