"""The rules of rooms and messages, in one place for REST and WebSocket alike."""

from __future__ import annotations

from .errors import ChatError, forbidden, not_found
from .storage.db import Row


def is_admin(user: Row) -> bool:
    """Site admins have an owner's powers in every room."""
    return user["role"] == "admin"


def check_manager(room: Row, user: Row) -> None:
    """Only the room's owner or a site admin may change the room or its members."""
    if room["owner_id"] != user["id"] and not is_admin(user):
        raise forbidden("Only the room's owner or an administrator may do that.")


def check_message_change(kind: str, state: Row | None, room_id: int, user: Row) -> None:
    """Edit, delete and react name a live message of this room; edit and delete only the sender's own."""
    if state is None or state["room_id"] != room_id:
        raise not_found("No such message in this room.")
    if kind in ("edit", "delete") and state["sender_id"] != user["id"]:
        raise forbidden("Only the sender of a message may edit or delete it.")
    if state["is_deleted"]:
        raise ChatError("deleted", "That message was deleted.")
