"""The OpenAPI 3.1 document of the REST API, served at /api/schema/; frame schemas come from schema_files/."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .realtime.client_frames import LIMITS
from .schemas import REACTIONS

FRAMES = Path(__file__).resolve().parent / "schema_files"
EVENT_FRAMES = ("message", "edited", "deleted", "reacted")
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(props: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    """A closed object whose listed properties are all required unless told otherwise."""
    return {"type": "object", "properties": props,
            "required": list(props) if required is None else required, "additionalProperties": False, **extra}


ID = {"type": "integer", "minimum": 1, "maximum": 2**53}
TEXT = {"type": "string"}
TIME = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$",
        "description": "ISO 8601 with microseconds and offset, always 32 characters."}
URL = {"type": "string", "format": "uri", "maxLength": 1000}
NAMES = {"id": ID, "first_name": TEXT, "last_name": TEXT}

COMPONENTS: dict[str, Schema] = {
    "User": obj({"id": ID, "email": {"type": "string", "format": "email"}, "first_name": TEXT, "last_name": TEXT,
                 "role": {"enum": ["admin", "member"]}, "photo": nullable(TEXT), "year": nullable(TEXT)}),
    "UserBrief": obj({"id": ID, "full_name": TEXT, "email": TEXT, "role": {"enum": ["admin", "member"]},
                      "year": nullable(TEXT)}),
    "Member": obj({**NAMES, "role": {"enum": ["admin", "member"]}, "photo": nullable(TEXT), "year": nullable(TEXT)}),
    "Room": obj({"id": ID, "name": TEXT, "description": TEXT, "room_avatar": nullable(TEXT), "is_active": {"type": "boolean"},
                 "members_count": {"type": "integer", "minimum": 0},
                 "created_by": obj(NAMES, description="The current owner."), "created_at": TIME, "updated_at": TIME}),
    "LastMessage": obj({"id": ID, "content": TEXT, "created_at": TIME, "sender": obj(NAMES)}),
    "Message": obj({"id": ID, "sender": ref("Member"), "attachment": nullable(TEXT),
                    "message_type": {"enum": ["text", "image", "file"]}, "content": TEXT,
                    "reactions": nullable({"type": "object", "propertyNames": {"enum": list(REACTIONS)},
                                           "additionalProperties": {"type": "integer", "minimum": 1}}),
                    "is_deleted": {"type": "boolean"}, "is_edited": {"type": "boolean"},
                    "is_self": {"type": "boolean", "description": "True when the caller sent it."},
                    "status": {"type": "object", "maxProperties": 0}, "created_at": TIME, "updated_at": TIME,
                    "room": ID, "parent_message": nullable(ref("ParentMessage")), "parent_message_id": nullable(ID),
                    "mentions": {"type": "array", "items": ID}, "seq": {"type": "integer", "minimum": 1}}),
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
COMPONENTS["JoinedRoom"] = {**COMPONENTS["Room"], "properties": {
    **COMPONENTS["Room"]["properties"], "unread_count": {"type": "integer", "minimum": 0},
    "last_message": nullable(ref("LastMessage"))}, "required": [*COMPONENTS["Room"]["required"], "unread_count", "last_message"]}
ROOM_ANSWER = obj({"message": TEXT, "room": ref("Room")})
AUTH_ANSWER = obj({"message": TEXT, "token": {"type": "string", "pattern": "^[0-9a-f]{40}$"}, "user": ref("User")})

ERRORS = {400: ("Malformed JSON, a wrong type, an unknown or invalid field.", ["FieldErrors", "Error"]),
          401: ("Missing or bad credentials.", ["Error"]), 403: ("Not allowed.", ["Error"]),
          404: ("No such thing (or not visible to you).", ["Error"]),
          408: ("The body did not arrive in time (CHAT_BODY_TIMEOUT).", ["Error"]), 413: ("Body too large.", ["Error"]),
          429: ("Too many attempts; see Retry-After.", ["Error"]), 503: ("Not available.", ["Error"]),
          507: ("The server's disk is nearly full; nothing was saved.", ["Error"])}


def body(schema: Schema, content_type: str = "application/json") -> Schema:
    """A required request body."""
    return {"required": True, "content": {content_type: {"schema": schema}}}


def answer(description: str, schema: Schema) -> Schema:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def op(summary: str, tag: str, ok: tuple[int, str, Schema], errors: tuple[int, ...] = (401,),
       request: Schema | None = None, params: list[Schema] | None = None, public: bool = False) -> Schema:
    """One operation: the success response, the error responses, and 401 with the Token scheme unless public."""
    status, description, schema = ok
    responses = {str(status): answer(description, schema)}
    body_errors = {400, 413, *([408] if "application/json" in request["content"] else [])} if request else set()
    for code in sorted(set(errors) | body_errors):
        text, names = ERRORS[code]
        responses[str(code)] = answer(text, ref(names[0]) if len(names) == 1 else {"anyOf": [ref(n) for n in names]})
    operation: Schema = {"summary": summary, "tags": [tag], "responses": responses,
                         "operationId": re.sub(r"[^a-z0-9]+", "_", summary.lower()).strip("_")}
    if public:
        operation["security"] = []
    if request:
        operation["requestBody"] = request
    if params:
        operation["parameters"] = params
    return operation


def query(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    """A query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path(name: str = "id", description: str = "The room's id.") -> Schema:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": description}


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
    from .openapi_paths import paths
    return {
        "openapi": "3.1.0",
        "info": {"title": "chatserver", "version": __version__, "description": (
            "REST API of chatserver. Authenticate with `Authorization: Token <key>` (or `Bearer <key>`); "
            "the key comes from register or login. Real-time traffic goes over "
            "`ws://HOST/ws/chat/<room_id>/?token=<key>` (and a user's stream of room activity over "
            "`ws://HOST/ws/user/?token=<key>`): their frames are the `ClientFrame_*` and "
            "`ServerFrame_*` schemas below (also shipped as JSON Schema files in chatserver/schema_files/).")},
        "servers": [{"url": "/"}],
        "security": [{"Token": []}, {"Bearer": []}],
        "tags": [{"name": n} for n in ("accounts", "rooms", "members", "messages", "server")],
        "paths": paths(config),
        "components": {
            "schemas": {**COMPONENTS, "RoomAnswer": ROOM_ANSWER, "AuthAnswer": AUTH_ANSWER, **_frame_components(config)},
            "securitySchemes": {
                "Token": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "`Token <40 hex characters>`, as Django REST Framework's TokenAuthentication."},
                "Bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."}},
        },
    }
