"""The OpenAPI paths and components of moderation: moderators, bans, read-only rooms' audit, the audit log."""

from __future__ import annotations

from . import bodies
from .openapi_bodies import body_schema
from .openapi_parts import ID, TEXT, TIME, Schema, body, nullable, obj, op, path, query, ref
from .storage.audit import ACTIONS

ROOM_ID, USER_ID = path(), path("user_id", "The user's id.")
NAMES = {"id": ID, "first_name": TEXT, "last_name": TEXT}
AFTER_ID = query("after_id", {"type": "integer", "minimum": 0}, "Entries with an id above this (default 0).")
LIMIT = query("limit", {"type": "integer", "minimum": 1}, "At most this many (default and maximum 1000).")

COMPONENTS: dict[str, Schema] = {
    "Ban": obj({"user": obj({**NAMES, "photo": nullable(TEXT)}), "reason": TEXT, "created_at": TIME,
                "banned_by": nullable(obj(NAMES, description="The moderator; null once that account is gone."))}),
    "AuditEntry": obj({"id": ID, "at": TIME, "action": {"enum": sorted(ACTIONS)}, "actor_id": nullable(ID),
                       "room_id": nullable(ID), "target_id": nullable(ID), "message_id": nullable(ID),
                       "reason": TEXT, "detail": nullable({"type": "object"})},
                      description="One moderation action: who (actor_id) did what to whom (target_id), where, why."),
    "AuditPage": obj({"entries": {"type": "array", "items": ref("AuditEntry")},
                      "last_id": {"type": "integer", "minimum": 0, "description": "Pass as after_id for the next page."},
                      "has_more": {"type": "boolean"}}),
    "RoleChange": obj({"message": TEXT, "user_id": ID, "room_role": {"enum": ["moderator", "member"]}}),
}


def moderation_paths() -> dict[str, Schema]:
    """Moderators, bans and the audit log."""
    user_body = body(body_schema(bodies.AddMember))
    ban_body = body(body_schema(bodies.Ban, {
        "reason": "Shown to moderators in the ban list and the audit log.",
        "delete_messages": "Also delete every message of theirs in the room (default false)."}))
    banned = (201, "Banned: removed from the room (sockets close 4003) and kept out until unbanned.",
              obj({"message": TEXT, "user_id": ID, "deleted_messages": {
                  "type": "integer", "minimum": 0, "description": "How many of their messages were deleted."}}))
    return {
        "/api/chat/groups/{id}/moderators/": {"post": op(
            "Make a moderator", "members", (200, "The member moderates the room.", ref("RoleChange")),
            (401, 403, 404), user_body, [ROOM_ID])},
        "/api/chat/groups/{id}/moderators/{user_id}/": {"delete": op(
            "Unmake a moderator", "members", (200, "The moderator is a plain member again.", ref("RoleChange")),
            (401, 403, 404), params=[ROOM_ID, USER_ID])},
        "/api/chat/groups/{id}/bans/": {
            "get": op("List bans", "members", (200, "The room's bans, newest first.",
                                               {"type": "array", "items": ref("Ban")}), (401, 403, 404), params=[ROOM_ID]),
            "post": op("Ban a user", "members", banned, (401, 403, 404), ban_body, [ROOM_ID])},
        "/api/chat/groups/{id}/bans/{user_id}/": {"delete": op(
            "Lift a ban", "members", (200, "The user may join or be added again.", ref("Confirmation")),
            (401, 403, 404), params=[ROOM_ID, USER_ID])},
        "/api/chat/groups/{id}/messages/{message_id}/": {"delete": op(
            "Delete a message", "messages", (200, "Deleted; the room gets the `deleted` frame, with deleted_by.",
                                             obj({"message": TEXT, "id": ID, "seq": {"type": "integer", "minimum": 1}})),
            (400, 401, 403, 404), params=[ROOM_ID, path("message_id", "The message's id.")])},
        "/api/chat/groups/{id}/audit/": {"get": op(
            "A room's audit log", "members", (200, "The room's moderation actions, oldest first.", ref("AuditPage")),
            (400, 401, 403, 404), params=[ROOM_ID, AFTER_ID, LIMIT])},
        "/api/admin/audit/": {"get": op(
            "The audit log", "server", (200, "Every moderation action, oldest first (site admins only).",
                                        ref("AuditPage")), (400, 401, 403),
            params=[AFTER_ID, LIMIT, query("room", ID, "Only this room's entries.")])},
    }
