"""The OpenAPI 3.1 document of the REST API, served at /api/schema/; frame schemas come from frame_schemas/."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from . import __version__
from .client_frames import LIMITS
from .config import Config
from .openapi_parts import ID, TEXT, TIME, URL, Schema, nullable, obj, ref
from .openapi_moderation import COMPONENTS as MODERATION
from .openapi_paths import paths
from .fields import REACTIONS

FRAMES = Path(__file__).resolve().parent / "frame_schemas"
EVENT_FRAMES = ("message", "edited", "deleted", "reacted", "message_pinned")

NAMES = {"id": ID, "first_name": TEXT, "last_name": TEXT}

COMPONENTS: dict[str, Schema] = {
    "User": obj({"id": ID, "email": {"type": "string", "format": "email"}, "first_name": TEXT, "last_name": TEXT,
                 "role": {"enum": ["admin", "member"]}, "photo": nullable(TEXT), "year": nullable(TEXT)}),
    "UserBrief": obj({"id": ID, "full_name": TEXT, "email": nullable(TEXT), "role": {"enum": ["admin", "member"]},
                      "year": nullable(TEXT)}, description="email: null but to the user themselves and site admins"
                                                           " (to everyone signed in with CHAT_SHOW_EMAILS)."),
    "Member": obj({**NAMES, "role": {"enum": ["admin", "member"]}, "photo": nullable(TEXT), "year": nullable(TEXT)}),
    "Room": obj({"id": ID, "name": TEXT, "description": TEXT, "room_avatar": nullable(TEXT), "is_active": {"type": "boolean"},
                 "kind": {"enum": ["public", "private", "direct"], "description": "public: listed, anyone joins;"
                          " private: members only, joined by invite or when added; direct: two users' own room."},
                 "read_only": {"type": "boolean", "description": "Only the owner and moderators post."},
                 "members_may_pin": {"type": "boolean", "description": "Members, not only moderators, pin messages."},
                 "members_count": {"type": "integer", "minimum": 0},
                 "created_by": obj(NAMES, description="The current owner."), "created_at": TIME, "updated_at": TIME,
                 "direct_user": nullable(ref("Person")) | {"description": "In a direct room, the other member;"
                                                            " name and room_avatar are theirs. null in other rooms."}}),
    "Person": obj({**NAMES, "photo": nullable(TEXT)}, description="Another user, as a direct room or a block names them."),
    "Block": obj({"user": ref("Person"), "created_at": TIME}, description="One of the caller's blocks."),
    "LastMessage": obj({"id": ID, "content": TEXT, "created_at": TIME, "sender": obj(NAMES),
                        "is_self": {"type": "boolean"}}),
    "Message": obj({"id": ID, "sender": ref("Member"), "attachment": nullable(TEXT),
                    "message_type": {"enum": ["text", "image", "file"]}, "content": TEXT,
                    "reactions": nullable({"type": "object", "propertyNames": {"enum": list(REACTIONS)},
                                           "additionalProperties": {"type": "integer", "minimum": 1}}),
                    "is_deleted": {"type": "boolean"}, "is_edited": {"type": "boolean"},
                    "is_self": {"type": "boolean", "description": "True when the caller sent it."},
                    "status": {"type": "object", "maxProperties": 0}, "created_at": TIME, "updated_at": TIME,
                    "room": ID, "parent_message": nullable(ref("ParentMessage")), "parent_message_id": nullable(ID),
                    "mentions": {"type": "array", "items": ID}, "seq": {"type": "integer", "minimum": 1},
                    "is_pinned": {"type": "boolean"}, "pinned_at": nullable(TIME),
                    "pinned_by": {**nullable(ID), "description": "Who pinned it (null when not pinned)."}}),
    "ParentMessage": obj({"id": ID, "content": TEXT, "created_at": TIME,
                          "sender": obj({"id": ID, "name": TEXT, "photo": nullable(TEXT)})},
                         description="The message replied to, as a reply shows it; content is blank once it was deleted."),
    "MessagePage": obj({"count": {"type": "integer", "minimum": 0}, "next": nullable(URL), "previous": nullable(URL),
                        "results": {"type": "array", "items": ref("Message")}}),
    "Events": obj({"events": {"type": "array", "items": {"anyOf": [ref(f"ServerFrame_{n}") for n in EVENT_FRAMES]}},
                   "last_seq": {"type": "integer", "minimum": 0}, "has_more": {"type": "boolean"}}),
    "ClientConfig": obj({"max_message_length": {"type": "integer", "minimum": 1, "description": "CHAT_MAX_MESSAGE_LENGTH."},
                         "max_mentions": {"type": "integer", "minimum": 0, "description": "CHAT_MAX_MENTIONS."},
                         "max_upload_bytes": {"type": "integer", "minimum": 1, "description": "CHAT_MAX_UPLOAD_BYTES."},
                         "reactions": {"type": "array", "items": {"enum": list(REACTIONS)},
                                       "description": "Every reaction a message takes, in the order to offer them."}}),
    "Confirmation": obj({"message": TEXT}, description="A success that has nothing more to say."),
    "Error": {"type": "object", "description": "Any refusal without field errors.",
              "properties": {"detail": TEXT, "code": TEXT, "retry_after": {"type": "integer"}},
              "required": ["detail"]},
    "FieldErrors": {"type": "object", "description": "DRF-style: each offending field and what is wrong with it; at most five"
                    " are named, `more` (or `<list>.more`) counts the rest.",
                    "additionalProperties": {"type": "array", "items": TEXT}, "minProperties": 1},
}
COMPONENTS["RoomMember"] = {**COMPONENTS["Member"], "properties": {
    **COMPONENTS["Member"]["properties"], "room_role": {"enum": ["owner", "moderator", "member"],
                                                        "description": "The member's role in the room."}},
    "required": [*COMPONENTS["Member"]["required"], "room_role"]}
COMPONENTS["Account"] = {**COMPONENTS["User"], "description": "A user as a site admin sees it.", "properties": {
    **COMPONENTS["User"]["properties"], "suspended_at": {**nullable(TIME), "description": "Null unless suspended."}},
    "required": [*COMPONENTS["User"]["required"], "suspended_at"]}
COMPONENTS["JoinedRoom"] = {**COMPONENTS["Room"], "properties": {
    **COMPONENTS["Room"]["properties"], "unread_count": {"type": "integer", "minimum": 0},
    "last_message": nullable(ref("LastMessage")),
    "room_role": {"enum": ["owner", "moderator", "member"], "description": "The caller's role in the room."}},
    "required": [*COMPONENTS["Room"]["required"], "unread_count", "last_message", "room_role"]}
ROOM_ANSWER = obj({"message": TEXT, "room": ref("Room")})
AUTH_ANSWER = obj({"message": TEXT, "token": {"type": "string", "pattern": "^[0-9a-f]{40}$"}, "user": ref("User")})



def _frame_components(config: Config) -> dict[str, Schema]:
    out = {}
    for file in sorted(FRAMES.glob("*.json")):
        side, name = file.stem.split(".")
        schema = json.loads(file.read_text(encoding="utf-8"))
        schema.pop("$schema", None)
        out[f"{'ClientFrame' if side == 'client' else 'ServerFrame'}_{name}"] = schema
    for (action, field), limits in LIMITS.items():  # the files hold the defaults; a server tells its own
        out[f"ClientFrame_{action}"]["properties"][field].update(
            {word: getattr(config, setting) for word, setting in limits.items()})
    return out


@functools.lru_cache(maxsize=4)
def document(config: Config) -> Schema:
    """The whole document for a server's settings (built once for each)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "chatserver", "version": __version__, "description": (
            "REST API of chatserver. Authenticate with `Authorization: Token <key>` (or `Bearer <key>`); "
            "the key comes from register or login. Real-time traffic goes over "
            "`ws://HOST/ws/chat/<room_id>/?token=<key>` (and a user's stream of room activity over "
            "`ws://HOST/ws/user/?token=<key>`): their frames are the `ClientFrame_*` and "
            "`ServerFrame_*` schemas below (also shipped as JSON Schema files in chatserver/frame_schemas/).")},
        "servers": [{"url": "/"}],
        "security": [{"Token": []}, {"Bearer": []}],
        "tags": [{"name": n} for n in ("accounts", "rooms", "members", "messages", "server")],
        "paths": paths(config),
        "components": {
            "schemas": {**COMPONENTS, "RoomAnswer": ROOM_ANSWER, "AuthAnswer": AUTH_ANSWER, **MODERATION, **_frame_components(config)},
            "securitySchemes": {
                "Token": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "`Token <40 hex characters>`, as Django REST Framework's TokenAuthentication."},
                "Bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."}},
        },
    }
