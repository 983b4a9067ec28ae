"""The OpenAPI paths of site suspension, mutes and pins."""

from __future__ import annotations

from . import bodies
from .openapi_bodies import body_schema
from .openapi_parts import ID, TEXT, TIME, Schema, body, nullable, obj, op, path, ref

USER_ID = path("user_id", "The user's id.")
ROOM_ID = path()
MUTE = obj({"user": obj({"id": ID, "first_name": TEXT, "last_name": TEXT}),
            "until": {**nullable(TIME), "description": "When the mute ends by itself; null: when lifted."},
            "created_at": TIME, "muted_by": {**nullable(ID), "description": "Who muted them."}})


def _optional(schema: Schema) -> Schema:
    return {**body(schema), "required": False}


def suspension_paths() -> dict[str, Schema]:
    """Site admins suspend an account and lift the suspension."""
    account = obj({"message": TEXT, "user": ref("Account"), "deleted_messages": {
        "type": "integer", "minimum": 0, "description": "How many of their messages were deleted (0 unless asked)."}})
    reason = _optional(body_schema(bodies.Suspension, {
        "reason": "Why: kept in the audit log.",
        "delete_messages": "With suspend: delete every message of the user, each as its author's deletion is."}))
    return {
        "/api/admin/users/{user_id}/suspend/": {"post": op(
            "Suspend an account", "accounts",
            (200, "Suspended: every token revoked, their sockets closed (4001), login refused.", account),
            (401, 403, 404), reason, [USER_ID])},
        "/api/admin/users/{user_id}/unsuspend/": {"post": op(
            "Lift a suspension", "accounts", (200, "The user may log in again.", account),
            (401, 403, 404), reason, [USER_ID])},
    }


def mute_paths() -> dict[str, Schema]:
    """A room's owner, moderators and site admins mute members."""
    mute = body_schema(bodies.Mute, {
        "duration": "Seconds (at most CHAT_MAX_MUTE_SECONDS); without it, or null, until lifted.",
        "reason": "Why: kept in the audit log."})
    return {
        "/api/chat/groups/{id}/mutes/": {
            "get": op("List mutes", "members", (200, "The mutes in force, newest first: all of them for the room's"
                                                     " moderators, a member's own for a member.", {"type": "array", "items": MUTE}),
                      (401, 403, 404), params=[ROOM_ID]),
            "post": op("Mute a member", "members", (201, "Muted: they read, but cannot send, edit, react or pin.",
                                                    obj({"message": TEXT, "mute": MUTE})),
                       (401, 403, 404), body(mute), [ROOM_ID])},
        "/api/chat/groups/{id}/mutes/{user_id}/": {"delete": op(
            "Lift a mute", "members", (200, "Lifted.", ref("Confirmation")), (401, 403, 404),
            params=[ROOM_ID, path("user_id", "The muted member's user id.")])},
    }


def pin_paths() -> dict[str, Schema]:
    """A room's pinned messages."""
    return {
        "/api/chat/groups/{id}/pins/": {
            "get": op("Pinned messages", "messages", (200, "The room's pinned messages, the latest pin first.",
                                                      {"type": "array", "items": ref("Message")}),
                      (401, 403, 404), params=[ROOM_ID]),
            "post": op("Pin or unpin a message", "messages",
                       (200, "The message, pinned or not; the room gets a message_pinned frame.", ref("Message")),
                       (401, 403, 404, 503), body(body_schema(bodies.Pin)), [ROOM_ID])},
    }
