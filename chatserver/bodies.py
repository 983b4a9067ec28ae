"""REST request bodies: a marshmallow schema per body, built of the strict fields in fields.py, and their loader."""

from __future__ import annotations

from itertools import islice
from typing import Any, Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .errors import MAX_ERRORS, ChatError
from .fields import Count, Email, Flag, Id, IdList, Kind, Name, Seconds, Text

MAX_NAME_ECHO = 40  # characters of an unknown field's name repeated in the answer
SLACK = 4  # a text this many times over its limit is refused unread (trimming and NFKC change lengths a little)


class Strict(Schema):
    """Unknown fields are an error."""

    class Meta:
        unknown = RAISE


class Register(Strict):
    email = Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    first_name = Name(required=True, min_len=1, max_len=150)
    last_name = Name(max_len=150, load_default="")
    year = Text(max_len=20, allow_none=True, load_default=None)
    photo = fields.URL(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class Login(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=1024))


class ProfileUpdate(Strict):
    first_name = Name(min_len=1, max_len=150)
    last_name = Name(max_len=150)
    year = Text(max_len=20, allow_none=True)
    photo = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    password = fields.String(validate=validate.Length(min=8, max=1024))
    current_password = fields.String(validate=validate.Length(max=1024))


class RoomCreate(Strict):
    name = Name(required=True, min_len=1, max_len=50, one_script=True)
    description = Text(max_len=1000, load_default="")
    members = IdList(max_len=10000, load_default=list)
    kind = Kind(load_default="public")


class RoomUpdate(Strict):
    name = Name(min_len=1, max_len=50, one_script=True)
    description = Text(max_len=1000)
    room_avatar = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    members = IdList(max_len=10000)
    read_only = Flag()
    members_may_pin = Flag()
    kind = Kind()


class InviteCreate(Strict):
    expires_in = Count(most=10 * 365 * 86400, allow_none=True, load_default=None)
    max_uses = Count(most=1_000_000, allow_none=True, load_default=None)


BODY_BASE = 64 * 1024  # every text field of a body at its longest, escaped, with room to spare
BYTES_PER_ID = 24  # an id in a list: 16 digits, a comma, spaces


def body_limit(schema: Schema) -> int:
    """The most bytes a body for schema needs, however long its allowed texts and lists:
    a bigger one is refused by its length, before it is read (CHAT_MAX_BODY_BYTES caps it too)."""
    lists = sum(f.max_len for f in schema.fields.values() if isinstance(f, IdList))
    return BODY_BASE + BYTES_PER_ID * lists


class TransferOwnership(Strict):
    new_owner_id = Id(required=True)


class AddMember(Strict):
    user_id = Id(required=True)


OtherUser = AddMember  # the body naming one other user: a direct room's or a block's
class Ban(Strict):
    user_id = Id(required=True)
    reason = Text(max_len=500, load_default="")
    delete_messages = Flag(load_default=False)


class Suspension(Strict):
    reason = Text(max_len=1000, load_default="")
    delete_messages = Flag(load_default=False)


class Mute(Strict):
    user_id = Id(required=True)
    duration = Seconds(allow_none=True, load_default=None)
    reason = Text(max_len=1000, load_default="")


class Pin(Strict):
    message_id = Id(required=True)
    pin = Flag(required=True)


class Search(Schema):
    """The query string of a search; other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    q = Text(max_len=100, load_default="")


def load(schema: Schema, data: Any, **context: Any) -> dict[str, Any]:
    """Validate data with schema, or raise ChatError('invalid') naming each bad field."""
    if not isinstance(data, Mapping):
        raise ChatError("invalid", "Expected a JSON object.", fields={"non_field_errors": ["Expected a JSON object."]})
    _refuse_unknown(schema, data)
    _refuse_far_too_long(schema, data)
    try:
        return schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"non_field_errors": exc.messages}
        raise ChatError("invalid", "Invalid input.", fields=messages) from None


def _refuse_unknown(schema: Schema, data: Mapping[str, Any]) -> None:
    # Counted before anything is validated: the work and the answer grow with the schema, not the body.
    if schema.unknown != RAISE or all(key in schema.load_fields for key in data):
        return
    unknown = (key for key in data if key not in schema.load_fields)
    named = {_echo(key): ["Unknown field."] for key in islice(unknown, MAX_ERRORS)}
    more = sum(1 for _ in unknown)
    if more:
        named["more"] = [f"{more} more unknown fields."]
    raise ChatError("invalid", "Invalid input.", fields=named)


def _refuse_far_too_long(schema: Schema, data: Mapping[str, Any]) -> None:
    # An e-mail check or a normalization costs time in the length of the text: far too long is refused unread.
    long = {}
    for name, field in schema.load_fields.items():
        limit = min((v.max for v in field.validators if isinstance(v, validate.Length) and v.max is not None),
                    default=None)
        value = data.get(name)
        if limit is not None and isinstance(value, (str, list)) and len(value) > SLACK * limit:
            long[name] = [f"Longer than maximum length {limit}."]
    if long:
        raise ChatError("invalid", "Invalid input.", fields=long)


def _echo(name: str) -> str:
    return name if len(name) <= MAX_NAME_ECHO else name[:MAX_NAME_ECHO] + "..."
