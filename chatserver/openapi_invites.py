"""The OpenAPI paths of invites: made, listed and revoked by a room's moderators, accepted by anyone signed in."""

from __future__ import annotations

from . import bodies
from .openapi_bodies import body_schema
from .openapi_parts import ID, TEXT, TIME, Schema, body, nullable, obj, op, path, ref

SECRET = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "Unguessable; the link's secret."}
INVITE = obj({
    "code": SECRET,
    "room_id": ID, "expires_at": nullable(TIME), "max_uses": nullable({"type": "integer", "minimum": 1}),
    "uses": {"type": "integer", "minimum": 0}, "created_at": TIME,
    "created_by": nullable({**ID, "description": "The user id of whoever made it."})})
CODE = {"name": "code", "in": "path", "required": True, "description": "The invite's code.", "schema": SECRET}


def invite_paths() -> dict[str, Schema]:
    """Invites: a room's (owner, moderators, site admins) and accepting one."""
    made = body_schema(bodies.InviteCreate, {
        "expires_in": "Seconds it stays usable (default: until revoked).",
        "max_uses": "Joins it allows (default: no limit)."}, minProperties=0)
    return {
        "/api/chat/groups/{id}/invites/": {
            "get": op("List a room's live invites", "members",
                      (200, "Invites neither expired, revoked nor used up, oldest first.",
                       {"type": "array", "items": INVITE}),
                      (401, 403, 404), params=[path()]),
            "post": op("Make an invite", "members", (201, "The invite; its code joins the room.", INVITE),
                       (401, 403, 404), {**body(made), "required": False}, [path()])},
        "/api/chat/groups/{id}/invites/{code}/": {"delete": op(
            "Revoke an invite", "members", (200, "Revoked: it joins no one from now on.", ref("Confirmation")),
            (401, 403, 404), params=[path(), CODE])},
        "/api/chat/invites/{code}/accept/": {"post": op(
            "Join with an invite", "members", (200, "Joined (or already a member: no use counted).",
                                               obj({"message": TEXT, "room": ref("Room")})),
            (400, 401, 403, 404), params=[CODE])},
    }
