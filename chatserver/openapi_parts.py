"""The building blocks of the OpenAPI document: schema helpers, shared types, operations and errors."""

from __future__ import annotations

import re
from typing import Any

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
