"""The OpenAPI paths of site suspension, mutes and pins."""

from __future__ import annotations

from . import schemas
from .openapi_bodies import body_schema
from .openapi_parts import TEXT, Schema, body, obj, op, path, ref

USER_ID = path("id", "The user's id.")


def _optional(schema: Schema) -> Schema:
    return {**body(schema), "required": False}


def suspension_paths() -> dict[str, Schema]:
    """Site admins suspend an account and lift the suspension."""
    account = obj({"message": TEXT, "user": ref("Account")})
    reason = _optional(body_schema(schemas.Suspension, {"reason": "Why: kept in the audit log."}))
    return {
        "/api/admin/users/{id}/suspend/": {"post": op(
            "Suspend an account", "accounts",
            (200, "Suspended: every token revoked, their sockets closed (4001), login refused.", account),
            (401, 403, 404), reason, [USER_ID])},
        "/api/admin/users/{id}/unsuspend/": {"post": op(
            "Lift a suspension", "accounts", (200, "The user may log in again.", account),
            (401, 403, 404), reason, [USER_ID])},
    }
