"""Client frames: the fields of each action, checked without coercing any type.

These run once per frame on the hot path, so they are plain functions rather than
marshmallow schemas (2.3 us per send_message frame instead of 85 us, measured in
docs/PERFORMANCE.md); the REST bodies keep marshmallow.
"""

from __future__ import annotations

from typing import Any, Callable

from . import rules
from .errors import ChatError
from .rules import FieldError
from .fields import MAX_ID, REACTIONS, is_id

Check = Callable[[Any], Any]
REQUIRED = object()
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def described(check: Check, schema: dict[str, Any]) -> Check:
    """check, carrying the JSON Schema of what it accepts (tests hold frame_schemas/client.*.json to it)."""
    setattr(check, "schema", schema)
    return check


def ident(value: Any) -> int:
    """A positive integer id (booleans, floats and strings are refused)."""
    if not is_id(value):
        raise FieldError("Must be a positive integer id.")
    return value


described(ident, ID_SCHEMA)


def flag(value: Any) -> bool:
    """true or false (not 1 or "true")."""
    if type(value) is not bool:
        raise FieldError("Must be true or false.")
    return value


described(flag, {"type": "boolean"})


def text(min_len: int = 1, max_len: int | None = None) -> Check:
    """A string, trimmed, whose length after trimming is within bounds (rules.text)."""
    def check(value: Any) -> str:
        return rules.text(value, min_len, max_len)
    return described(check, {"type": "string", "minLength": min_len, **({"maxLength": max_len} if max_len else {})})


def one_of(*choices: str) -> Check:
    """One of the given strings."""
    def check(value: Any) -> str:
        if type(value) is not str or value not in choices:
            raise FieldError(f"Must be one of: {', '.join(choices)}.")
        return value
    return described(check, {"enum": list(choices)})


def list_of(item: Check) -> Check:
    """A JSON array whose every item passes `item`."""
    def check(value: Any) -> list[Any]:
        if type(value) is not list:
            raise FieldError("Not a valid list.")
        return [item(v) for v in value]
    return described(check, {"type": "array", "items": getattr(item, "schema")})


def nullable(inner: Check) -> Check:
    """null, or what `inner` accepts."""
    def check(value: Any) -> Any:
        return None if value is None else inner(value)
    return described(check, {"anyOf": [getattr(inner, "schema"), {"type": "null"}]})


class Spec:
    """The fields of one action: name -> (check, default or REQUIRED); other fields are ignored."""

    def __init__(self, **fields: tuple[Check, Any]) -> None:
        self.fields = fields

    def load(self, data: dict[str, Any]) -> dict[str, Any]:
        """The checked fields with defaults filled in, or ChatError('invalid') naming every bad one."""
        out: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, (check, default) in self.fields.items():
            if name not in data:
                if default is REQUIRED:
                    errors[name] = ["This field is required."]
                else:
                    out[name] = default
                continue
            try:
                out[name] = check(data[name])
            except FieldError as exc:
                errors[name] = [str(exc)]
        if errors:
            raise ChatError("invalid", "Invalid input.", fields=errors)
        return out


SEND_MESSAGE = Spec(
    message=(text(), REQUIRED),
    message_type=(one_of("text"), "text"),
    mentions=(list_of(ident), []),
    parent_message=(nullable(ident), None),
    parent_message_id=(nullable(ident), None),
    client_id=(described(lambda value: rules.client_id(value), nullable(text(1, 64)).schema), None),
)
EDIT_MESSAGE = Spec(message_id=(ident, REQUIRED), new_content=(text(), REQUIRED))
DELETE_MESSAGE = Spec(message_id=(ident, REQUIRED))
REACT_MESSAGE = Spec(message_id=(ident, REQUIRED), reaction=(one_of(*REACTIONS), REQUIRED))
PIN_MESSAGE = Spec(message_id=(ident, REQUIRED), pin=(flag, REQUIRED))
TYPING = Spec()
# Limits that are settings, checked by the action's rules rather than its spec: (action, field) -> keyword -> setting.
LIMITS = {("send_message", "message"): {"maxLength": "max_message_length"},
          ("send_message", "mentions"): {"maxItems": "max_mentions"},
          ("edit_message", "new_content"): {"maxLength": "max_message_length"}}


def depth(value: Any, limit: int) -> bool:
    """Whether containers in a parsed JSON value nest deeper than limit."""
    if limit <= 0:
        return True
    if type(value) is dict:
        return any(depth(v, limit - 1) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return any(depth(v, limit - 1) for v in value if type(v) in (dict, list))
    return False
