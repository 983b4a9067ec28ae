"""Every rule of rooms and messages, in one module for REST, WebSocket and the admin commands alike (hence its length)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import MAX_ERRORS, ChatError, forbidden, invalid, not_found
from .fields import parse_id
from .store import Row

CLIENT_ID_LENGTH = 64  # characters of a client's id for a send
NOT_A_MESSAGE_ID = "Must be a message id."


class FieldError(ValueError):
    """One field's value is not acceptable; the message is for people."""


def text(value: Any, min_len: int = 1, max_len: int | None = None) -> str:
    """A client's text: a string without NUL, trimmed, whose length after trimming is within bounds."""
    if type(value) is not str:
        raise FieldError("Not a valid string.")
    if "\x00" in value:
        raise FieldError("Null characters are not allowed.")
    value = value.strip()
    if len(value) < min_len:
        raise FieldError("This field may not be blank." if min_len == 1 else f"At least {min_len} characters.")
    if max_len is not None and len(value) > max_len:
        raise FieldError(too_long(max_len))
    return value


def too_long(limit: int) -> str:
    """What a client is told of a text over `limit` characters."""
    return f"Ensure this field has no more than {limit} characters."


def message_text(field: str, value: Any, limit: int, *, blank: bool = False) -> str:
    """A message's text (sent, edited or captioning an upload), at most `limit` characters
    (the max_message_length setting); ChatError('invalid') names the field."""
    try:
        return text(value, 0 if blank else 1, limit)
    except FieldError as exc:
        raise invalid({field: [str(exc)]}) from None


def client_id(value: Any) -> str | None:
    """A send's client id (null, or 1 to CLIENT_ID_LENGTH characters): a retry with it is answered, not sent again."""
    return None if value is None else text(value, 1, CLIENT_ID_LENGTH)


def check_mentions(mentions: list[int], limit: int) -> list[int]:
    """The users a message mentions, once each and sorted, at most `limit` of them (the max_mentions setting)."""
    unique = sorted(set(mentions))
    if len(unique) > limit:
        raise ChatError("invalid", "Too many mentions.", fields={"mentions": [f"At most {limit}."]})
    return unique


def check_mentioned(mentions: list[int], members: set[int]) -> None:
    """Only members of the room can be mentioned."""
    strangers = [user_id for user_id in mentions if user_id not in members]
    if strangers:
        raise ChatError("invalid_mention", "Only members of this room can be mentioned.", user_ids=strangers)


def parent_of(parent: int | None, alias: int | None) -> int | None:
    """The message replied to, named by parent_message or its alias parent_message_id (which must agree)."""
    if parent and alias and parent != alias:
        raise ChatError("invalid", "Invalid input.",
                        fields={"parent_message": ["parent_message and parent_message_id disagree."]})
    return parent or alias


def parent_field(raw: str | None) -> int | None:
    """The message replied to, as a form field gives it (empty: none)."""
    parent = parse_id(raw or None)
    if raw and parent is None:
        raise ChatError("invalid", "Invalid parent.", fields={"parent_message": [NOT_A_MESSAGE_ID]})
    return parent


def check_reply(replied: Row | None, room_id: int) -> None:
    """A reply names a message of the same room."""
    if replied is None or replied["room_id"] != room_id:
        raise ChatError("not_found", "The message replied to is not in this room.",
                        fields={"parent_message": ["No such message in this room."]})


def is_admin(user: Row) -> bool:
    """Site admins have an owner's powers in every room."""
    return user["role"] == "admin"


def check_site_admin(user: Row) -> None:
    """Only a site admin may do that."""
    if not is_admin(user):
        raise forbidden("Only an administrator may do that.")


def check_manager(room: Row, user: Row) -> None:
    """Only the room's owner or a site admin may change the room or its members."""
    if room["owner_id"] != user["id"] and not is_admin(user):
        raise forbidden("Only the room's owner or an administrator may do that.")


def room_role(room: Row, user_id: int, moderator: bool) -> str:
    """A member's role in a room: owner, moderator or member."""
    return "owner" if room["owner_id"] == user_id else "moderator" if moderator else "member"


def _moderates(owner_id: int, moderator: bool, user: Row) -> bool:
    return is_admin(user) or owner_id == user["id"] or moderator


def may_moderate(room: Row, user: Row) -> bool:
    """The room's owner, its moderators and site admins moderate a room (room: a row with is_moderator)."""
    return _moderates(room["owner_id"], bool(room.get("is_moderator")), user)


def check_suspension(actor: Row, user_id: int) -> None:
    """Only a site admin suspends an account (or lifts a suspension), and never their own."""
    if not is_admin(actor):
        raise forbidden("Only an administrator may suspend an account.")
    if actor["id"] == user_id:
        raise forbidden("An administrator cannot suspend their own account.")


def check_mutable(room: Row, actor: Row, target_id: int, member: bool, moderator: bool) -> None:
    """A mute names a member of the room, never its owner; only the owner or a site admin mutes a moderator."""
    if not member:
        raise ChatError("not_member", "That user is not a member of this room.", status=404)
    if room["owner_id"] == target_id:
        raise forbidden("The owner of a room cannot be muted.")
    if moderator and room["owner_id"] != actor["id"] and not is_admin(actor):
        raise forbidden("Only the room's owner or an administrator may mute a moderator.")


def mute_until(duration: int | None, limit: int) -> str | None:
    """When a mute of `duration` seconds from now ends: at most CHAT_MAX_MUTE_SECONDS away; None
    (until lifted) without a duration."""
    if duration is None:
        return None
    if duration > limit:
        raise invalid({"duration": [f"At most {limit} seconds."]})
    # as every stored time is written (storage.db.iso): ISO times of one width compare as text
    return (datetime.now(timezone.utc) + timedelta(seconds=duration)).isoformat(timespec="microseconds")


SILENCED = frozenset({"send", "edit", "react", "pin"})  # the changes a muted member may not make


def check_may_pin(room: Row, user: Row) -> None:
    """Moderators pin (room: a row with is_moderator and members_may_pin), and members when the room lets them."""
    if not (may_moderate(room, user) or room["members_may_pin"]):
        raise forbidden("Only the room's owner, its moderators or an administrator may pin messages here.")


def check_pin_change(state: Row, pin: bool, pinned: int, limit: int) -> None:
    """A pin changes something, and a room holds at most `limit` (CHAT_MAX_PINS) pins."""
    if (state["pinned_at"] is not None) == pin:
        raise invalid({"pin": ["That message is pinned already." if pin else "That message is not pinned."]})
    if pin and pinned >= limit:
        raise ChatError("too_many_pins", f"A room holds at most {limit} pinned messages; unpin one first.", limit=limit)


def check_not_muted(muted: bool, until: str | None) -> None:
    """A muted member reads, but does not send, edit, react or pin until the mute ends (until: null, never)."""
    if muted:
        raise ChatError("muted", "You are muted in this room." if until is None else f"You are muted in this room until {until}.",
                        status=403, until=until)


def check_moderator(room: Row, user: Row) -> None:
    """Only the room's owner, its moderators or a site admin may moderate it."""
    if not may_moderate(room, user):
        raise forbidden("Only the room's owner, its moderators or an administrator may do that.")


def spares_moderators(room: Row, user: Row) -> bool:
    """A moderator who is neither the owner nor a site admin cannot remove or ban another moderator."""
    return room["owner_id"] != user["id"] and not is_admin(user)


def check_spared(moderator: bool, spared: bool) -> None:
    """Refuse a moderator's removal or ban of another moderator (nothing was changed)."""
    if moderator and spared:
        raise forbidden("Only the room's owner or an administrator may remove or ban a moderator.")


def check_role_change(target: Row, user_id: int) -> None:
    """Only a member other than the owner is made a moderator or stops being one."""
    if not target["is_member"]:
        raise ChatError("not_member", "That user is not a member of this room.", status=404)
    if target["owner_id"] == user_id:
        raise invalid({"user_id": ["The owner has every power of a moderator already."]})


def check_ban(target: Row, user_id: int, spared: bool) -> None:
    """The owner is never banned, nobody twice; a moderator bans another only as owner or site admin."""
    if target["owner_id"] == user_id:
        raise forbidden("The owner cannot be banned.")
    if target["banned"]:
        raise ChatError("already_banned", "That user is banned from this room already.")
    check_spared(bool(target["moderator"]), spared)


def check_not_banned(banned: list[int]) -> None:
    """A banned user cannot join or be added until unbanned."""
    if banned:
        raise ChatError("banned", "Banned from this room until a moderator lifts the ban.", status=403,
                        user_ids=banned)


def moderates(standing: Row | None, user: Row) -> bool:
    """Whether a user moderates a room, from their standing in it as a write sees it (None: not a member)."""
    return is_admin(user) if standing is None else _moderates(standing["owner_id"], bool(standing["moderator"]), user)


def check_may_post(read_only: bool, moderator: bool) -> None:
    """In a read-only room only the owner, its moderators and site admins send, reply, upload or edit."""
    if read_only and not moderator:
        raise ChatError("read_only", "This room is read-only: only its owner and moderators post here.", status=403)


def check_message_change(kind: str, state: Row | None, room_id: int, user: Row, moderator: bool = False) -> None:
    """Edit, delete and react name a live message of this room; edit only the sender's own, delete
    the sender's own or, for a moderator of the room, anyone's."""
    if state is None or state["room_id"] != room_id:
        raise not_found("No such message in this room.")
    if kind == "edit" and state["sender_id"] != user["id"]:
        raise forbidden("Only the sender of a message may edit it.")
    if kind == "delete" and state["sender_id"] != user["id"] and not moderator:
        raise forbidden("Only the sender of a message, or a moderator of the room, may delete it.")
    if state["is_deleted"]:
        raise ChatError("deleted", "That message was deleted.")


def check_anchor(state: Row | None, room_id: int) -> None:
    """History around a message needs a live message of this room."""
    if state is None or state["room_id"] != room_id:
        raise not_found("No such message in this room.")
    if state["is_deleted"]:
        raise not_found("That message was deleted.")


def check_visible(room: Row | None, user: Row) -> Row:
    """The room (from storage.rooms.room_for), if it exists, is active and is public or has the caller as a
    member; a site admin sees every room. A private room is not known to a non-member: 404, as if missing."""
    if room is None or not is_admin(user) and (not room["is_active"] or hidden(room)):
        raise not_found("No such room.")
    return room


def hidden(room: Row) -> bool:
    """A room (with is_member) that its caller may not know of: private (or direct) and not theirs."""
    return room["kind"] != "public" and not room["is_member"]


def check_joinable(room: Row, user: Row) -> None:
    """Only a public room is joined at will (a private one too by a site admin); a private one is joined
    by invite or by its owner or moderators adding one, a direct room never."""
    check_not_direct(room)
    if room["kind"] == "private" and not is_admin(user):
        raise forbidden("This room is private: it is joined with an invite or when its owner adds you.")


def check_kind_change(room: Row, kind: str | None) -> None:
    """A group room switches between public and private; a direct room's kind never changes."""
    if kind is not None and room["kind"] == "direct":
        raise invalid({"kind": ["A direct room's kind never changes."]})


def shows_email(viewer: Row, user_id: int, to_everyone: bool) -> bool:
    """A user's e-mail is shown to themselves and site admins; to everyone signed in with CHAT_SHOW_EMAILS."""
    return to_everyone or viewer["id"] == user_id or is_admin(viewer)


def check_reader(member: bool, user: Row) -> None:
    """Only members (and site admins) may read a room's members."""
    if not member and not is_admin(user):
        raise forbidden("You are not a member of this room.")


def check_member(room: Row | None, user: Row) -> Row:
    """A room (from Store.room_for) that exists, is active, and has the caller as a member; a private room
    is not known to a non-member (404) unless they are a site admin (403, as for any room).

    Reading and writing a room's messages, over REST or a socket, needs exactly this."""
    if room is None or not room["is_active"] or hidden(room) and not is_admin(user):
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


def check_room_counts(crowded: list[int], limit: int, field: str) -> None:
    """No user is put in more rooms than CHAT_MAX_ROOMS_PER_USER."""
    if crowded:
        more = f" and {len(crowded) - MAX_ERRORS} more" if len(crowded) > MAX_ERRORS else ""
        raise ChatError("too_many_rooms", f"A user may be in at most {limit} rooms.", fields={field: [
            f"Already in {limit} rooms, the most a user may be in: {', '.join(map(str, crowded[:MAX_ERRORS]))}{more}."]})


def check_users_exist(missing: list[int], field: str) -> None:
    """Every user id named in a request body must name a user."""
    if missing:
        more = f" and {len(missing) - MAX_ERRORS} more" if len(missing) > MAX_ERRORS else ""
        raise invalid({field: [f"No such user: {', '.join(map(str, missing[:MAX_ERRORS]))}{more}."]})



def check_not_direct(room: Row) -> None:
    """A direct room keeps its two members: nobody edits, deletes, joins, leaves, adds to or transfers it."""
    if room["kind"] == "direct":
        raise ChatError("direct_room", "A direct room cannot be changed, joined or left.", status=403)


def check_direct_partner(user_id: int, other_id: int) -> None:
    """A direct room, or a block, is between two different users."""
    if user_id == other_id:
        raise invalid({"user_id": ["That is you: name another user."]})


BLOCKED_CHANGES = frozenset({"send", "edit", "react"})  # what a block stops; one's own message may still be deleted


def check_not_blocked(blocked: bool) -> None:
    """While either of two users blocks the other, their direct room is not opened or written to."""
    if blocked:
        raise ChatError("blocked", "A block stands between you and this user.", status=403)


def check_invite_use(outcome: str, limit: int) -> None:
    """An invite joins only while it is live, never a user banned from its room, nor one in `limit` rooms already."""
    if outcome == "invalid":
        raise ChatError("invite_invalid", "This invite does not exist, has expired, was revoked or is used up.",
                        status=404)
    if outcome == "banned":
        raise ChatError("banned", "You are banned from this room.", status=403)
    if outcome == "crowded":
        raise ChatError("too_many_rooms", f"A user may be in at most {limit} rooms.",
                        fields={"invite": [f"You are in {limit} rooms already, the most a user may be in."]})
