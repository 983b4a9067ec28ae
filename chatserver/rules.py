"""The rules of rooms and messages, in one place for REST and WebSocket alike."""

from __future__ import annotations

from .errors import MAX_ERRORS, ChatError, forbidden, invalid, not_found
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


def check_visible(room: Row | None, user: Row) -> Row:
    """The room, if it exists and is active; a site admin sees inactive rooms too."""
    if room is None or not (room["is_active"] or is_admin(user)):
        raise not_found("No such room.")
    return room


def check_reader(member: bool, user: Row) -> None:
    """Only members (and site admins) may read a room's members."""
    if not member and not is_admin(user):
        raise forbidden("You are not a member of this room.")


def check_member(room: Row | None) -> Row:
    """A room (from storage.rooms.room_for) that exists, is active, and has the caller as a member.

    Reading and writing a room's messages, over REST or a socket, needs exactly this."""
    if room is None or not room["is_active"]:
        raise not_found("No such room.")
    if not room["is_member"]:
        raise forbidden("You are not a member of this room.")
    return room


def check_still_member(member: bool) -> None:
    """Checked again when a change is written: a member removed since they asked changes nothing."""
    if not member:
        raise forbidden("You are no longer a member of this room.")


def check_join(member: bool) -> None:
    """Joining (or being added) twice is an error."""
    if member:
        raise ChatError("already_member", "Already a member of this room.")


def check_leave(owner_id: int, user_id: int, member: bool, absent_status: int = 400) -> None:
    """Only a member can leave (or be removed); the owner stays until ownership passes on."""
    if not member:
        raise ChatError("not_member", "That user is not a member of this room.", status=absent_status)
    if owner_id == user_id:
        raise forbidden("The owner cannot leave the room; transfer ownership first.")


def check_new_owner(member: bool) -> None:
    """Ownership passes only to a member."""
    if not member:
        raise invalid({"new_owner_id": ["The new owner must be a member of the room."]})


def check_users_exist(missing: list[int], field: str) -> None:
    """Every user id named in a request body must name a user."""
    if missing:
        more = f" and {len(missing) - MAX_ERRORS} more" if len(missing) > MAX_ERRORS else ""
        raise invalid({field: [f"No such user: {', '.join(map(str, missing[:MAX_ERRORS]))}{more}."]})
