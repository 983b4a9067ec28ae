"""The JSON shapes of users, rooms and messages, as clients parse them."""

from __future__ import annotations

from typing import Any

from . import rules
from .store import Row


def user(row: Row) -> dict[str, Any]:
    """The whole user object."""
    return {k: row[k] for k in ("id", "email", "first_name", "last_name", "role", "photo", "year")}


def account(row: Row) -> dict[str, Any]:
    """The user object as a site admin sees it: with suspended_at (null unless suspended)."""
    return {**user(row), "suspended_at": row["suspended_at"]}


def token(row: Row, current: int) -> dict[str, Any]:
    """One of the caller's tokens: never the token, only its first characters."""
    return {"id": row["id"], "prefix": row["prefix"], "created_at": row["created_at"],
            "last_used_at": row["last_used_at"], "address": row["address"], "is_current": row["id"] == current}


def user_brief(row: Row, show_email: bool) -> dict[str, Any]:
    """A user in lists: id, full_name, email (null unless show_email: see rules.shows_email), role, year."""
    return {"id": row["id"], "full_name": f"{row['first_name']} {row['last_name']}".strip(),
            "email": row["email"] if show_email else None, "role": row["role"], "year": row["year"]}


def invite(row: Row) -> dict[str, Any]:
    """An invite: its code, room, expiry, uses and who made it (a user id)."""
    return {k: row[k] for k in ("code", "room_id", "expires_at", "max_uses", "uses", "created_at", "created_by")}


def member(row: Row, room_role: str) -> dict[str, Any]:
    """A room member, with their role in the room (rules.room_role)."""
    return {**{k: row[k] for k in ("id", "first_name", "last_name", "role", "photo", "year")}, "room_role": room_role}


def ban(row: Row) -> dict[str, Any]:
    """A room's ban: who, why, when, and by whom (null once that account is gone)."""
    return {"user": {"id": row["user_id"], "first_name": row["first_name"], "last_name": row["last_name"],
                     "photo": row["photo"]},
            "reason": row["reason"], "created_at": row["created_at"],
            "banned_by": None if row["actor_first_name"] is None else {
                "id": row["actor_id"], "first_name": row["actor_first_name"], "last_name": row["actor_last_name"]}}


def audit_entry(row: Row) -> dict[str, Any]:
    """One row of the audit log, as stored."""
    return {k: row[k] for k in ("id", "at", "action", "actor_id", "room_id", "target_id", "message_id",
                                "reason", "detail")}


def sender(row: Row) -> dict[str, Any]:
    """The sender of a live frame, as the seed shows it."""
    return {"name": row["first_name"], "photo": row["photo"], "id": row["id"], "role": row["role"]}


def room(row: Row) -> dict[str, Any]:
    """The room object; created_by names the current owner; a direct room is named after the row's direct_user."""
    out = {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "room_avatar": row["room_avatar"], "is_active": bool(row["is_active"]),
        "kind": row["kind"], "read_only": bool(row["read_only"]), "members_may_pin": bool(row["members_may_pin"]),
        "members_count": row["members_count"],
        "created_by": {"id": row["owner_id"], "first_name": row["owner_first_name"],
                       "last_name": row["owner_last_name"]},
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "direct_user": None,
    }
    other = row.get("direct_user")
    if other is not None:
        out.update(name=f"{other['first_name']} {other['last_name']}".strip(), room_avatar=other["photo"],
                   direct_user=person(other))
    return out


def person(row: Row) -> dict[str, Any]:
    """Another user as a direct room or a block names them: id, names, photo."""
    return {k: row[k] for k in ("id", "first_name", "last_name", "photo")}


def block(row: Row) -> dict[str, Any]:
    """One of the caller's blocks: the user blocked and since when."""
    return {"user": person(row), "created_at": row["created_at"]}


def mute(row: Row) -> dict[str, Any]:
    """A mute in force: who, until when (null: until lifted), since when and by whom."""
    return {"user": {"id": row["user_id"], "first_name": row["first_name"], "last_name": row["last_name"]},
            "until": row["until"], "created_at": row["created_at"], "muted_by": row["actor_id"]}


def last_message(row: Row | None, user_id: int) -> dict[str, Any] | None:
    """The newest message of a room, briefly, as room lists show it; is_self for user_id."""
    if row is None:
        return None
    return {"id": row["id"], "content": row["content"], "created_at": row["created_at"],
            "sender": {"id": row["sender_id"], "first_name": row["first_name"],
                       "last_name": row["last_name"]},
            "is_self": row["sender_id"] == user_id}


def joined_room(row: Row, last: Row | None, user_id: int) -> dict[str, Any]:
    """A room user_id belongs to: the room object with unread_count, last_message and their room_role."""
    return {**room(row), "unread_count": row["unread_count"], "last_message": last_message(last, user_id),
            "room_role": rules.room_role(row, user_id, bool(row["moderator"]))}


def media_url(base: str, name: str | None) -> str | None:
    """The absolute URL of a stored attachment; the one place such URLs are built.

    What is stored is the file's name; frames logged by older versions hold a whole URL,
    of which only the name is kept, so no stored host ever reaches a reader.
    """
    if not name:
        return None
    return f"{base.rstrip('/')}/media/{name.rsplit('/', 1)[-1]}"


def message(row: Row, base_url: str, user_id: int) -> dict[str, Any]:
    """A message in history, in the seed's shape; is_self for user_id; nothing of a deleted one survives."""
    deleted = bool(row["is_deleted"])
    return {
        "id": row["id"],
        "sender": {"id": row["sender_id"], "first_name": row["first_name"],
                   "last_name": row["last_name"], "role": row["role"], "photo": row["photo"],
                   "year": row["year"]},
        "attachment": None if deleted else media_url(base_url, row["attachment"]),
        "message_type": row["message_type"],
        "content": "" if deleted else row["content"],
        "reactions": None if deleted else (row["reactions"] or None),
        "is_deleted": deleted,
        "is_edited": bool(row["is_edited"]),
        "is_self": row["sender_id"] == user_id,
        "status": {},
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "room": row["room_id"],
        "parent_message": row["parent"],
        "parent_message_id": row["parent_id"],
        "mentions": [] if deleted else row["mentions"],
        "seq": row["seq"],
        "is_pinned": row["pinned_at"] is not None, "pinned_at": row["pinned_at"], "pinned_by": row["pinned_by"],
    }


def message_frame(row: Row, base: str) -> dict[str, Any]:
    """A message as every frame about it carries it (is_self false: the sender's copies set it); a deleted one is blank."""
    deleted = bool(row["is_deleted"])
    return {
        "message": "" if deleted else row["content"],
        "sender": {"name": row["first_name"], "photo": row["photo"], "id": row["sender_id"], "role": row["role"]},
        "message_type": row["message_type"], "id": row["id"],
        "attachment": None if deleted else media_url(base, row["attachment"]),
        "created_at": row["created_at"], "room": row["room_id"], "room_name": row["room_name"],
        "is_self": False,
        "parent_message": row["parent"], "parent_message_id": row["parent_id"],
        "mentions": [] if deleted else row["mentions"],
        "reactions": {} if deleted else (row["reactions"] or {}),
    }
