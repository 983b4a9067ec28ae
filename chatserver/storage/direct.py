"""Queries on direct rooms (the one room of two users) and on blocks between users."""

from __future__ import annotations

import json
import sqlite3

from ..store import Blocked
from .db import Database, Row, execute, now_iso

PERSON = "u.id, u.first_name, u.last_name, u.photo"


def direct_key(user_id: int, other_id: int) -> str:
    """'<lower id>:<higher id>': the key of the two users' direct room (unique, see schema.sql)."""
    return f"{min(user_id, other_id)}:{max(user_id, other_id)}"


async def open_room(db: Database, user_id: int, other_id: int, name: str) -> tuple[int, bool]:
    """The two users' direct room, created with both as members unless it exists and unless a block
    stands (Blocked), all in one transaction; returns (room id, whether it was created)."""
    return await db.write(_open_room, user_id, other_id, name, now_iso())


def _open_room(conn: sqlite3.Connection, user_id: int, other_id: int, name: str, now: str) -> tuple[int, bool]:
    if _blocked(conn, user_id, other_id):
        raise Blocked(other_id)
    key = direct_key(user_id, other_id)
    row = conn.execute("SELECT id FROM rooms WHERE direct_key = ?", (key,)).fetchone()
    if row is not None:
        return row["id"], False
    room_id = conn.execute(
        "INSERT INTO rooms (name, description, owner_id, kind, direct_key, created_at, updated_at)"
        " VALUES (?, '', ?, 'direct', ?, ?, ?)", (name, user_id, key, now, now)).lastrowid
    conn.executemany("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)",
                     [(room_id, user_id, now), (room_id, other_id, now)])
    return room_id, True


def _blocked(conn: sqlite3.Connection, user_id: int, other_id: int) -> bool:
    return conn.execute(
        "SELECT 1 FROM blocks WHERE (user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?)",
        (user_id, other_id, other_id, user_id)).fetchone() is not None


async def with_people(db: Database, rows: list[Row], viewer_id: int) -> list[Row]:
    """The rows, each direct room's with `direct_user`: its member other than viewer_id (None for others)."""
    ids = [row["id"] for row in rows if row["kind"] == "direct"]
    people: dict[int, Row] = {}
    if ids:
        for person in await db.fetchall(
                f"SELECT m.room_id, {PERSON} FROM members m JOIN users u ON u.id = m.user_id"
                " WHERE m.room_id IN (SELECT value FROM json_each(?)) AND m.user_id != ?",
                (json.dumps(ids), viewer_id)):
            people[person.pop("room_id")] = person
    for row in rows:
        row["direct_user"] = people.get(row["id"])
    return rows


async def block(db: Database, user_id: int, blocked_id: int) -> bool:
    """user_id blocks blocked_id; False if they already did."""
    return await db.write(execute, "INSERT OR IGNORE INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)",
                          (user_id, blocked_id, now_iso())) == 1


async def unblock(db: Database, user_id: int, blocked_id: int) -> bool:
    """user_id no longer blocks blocked_id; False if they did not."""
    return await db.write(execute, "DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?",
                          (user_id, blocked_id)) == 1


async def blocked_by(db: Database, user_id: int) -> list[Row]:
    """The users user_id blocks, each with the block's created_at, oldest block first."""
    return await db.fetchall(
        f"SELECT {PERSON}, b.created_at FROM blocks b JOIN users u ON u.id = b.blocked_id"
        " WHERE b.user_id = ? ORDER BY b.created_at, u.id", (user_id,))


async def room_of(db: Database, user_id: int, other_id: int) -> int | None:
    """The id of the two users' direct room, if they have one."""
    row = await db.fetchone("SELECT id FROM rooms WHERE direct_key = ?", (direct_key(user_id, other_id),))
    return row and row["id"]
