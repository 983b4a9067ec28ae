"""REST request bodies: marshmallow schemas that never coerce a type, and the parsers of their fields."""

from __future__ import annotations

from itertools import islice
from typing import Any, Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate

from . import names
from .errors import MAX_ERRORS, ChatError

MAX_ID = 2**53
MAX_NAME_ECHO = 40  # characters of an unknown field's name repeated in the answer
SLACK = 4  # a text this many times over its limit is refused unread (trimming and NFKC change lengths a little)
REACTIONS = ("Like", "Cool", "HaHa", "Heart", "Anger", "Smile", "Sad")


def parse_id(raw: str | None, minimum: int = 1) -> int | None:
    """An id written as text (path, query, form field, command line), or None if it is not one."""
    # ASCII digits only: "²".isdigit() is true, and int() takes "٣", " 1" and "1_0".
    if raw is None or not (0 < len(raw) <= len(str(MAX_ID)) and raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if minimum <= value <= MAX_ID else None


def is_id(value: Any) -> bool:
    """A positive integer id: booleans, floats and strings are not."""
    return type(value) is int and 0 < value <= MAX_ID


class Id(fields.Integer):
    """A positive integer id; booleans, floats and strings are refused."""

    default_error_messages = {"invalid": "Must be a positive integer id."}

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if value is not missing and value is not None and not is_id(value):
            raise self.make_error("invalid")
        return super().deserialize(value, attr, data, **kwargs)


class Flag(fields.Boolean):
    """true or false, and nothing else (not 1, "true" or "yes")."""

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if value is not missing and value is not None and type(value) is not bool:
            raise self.make_error("invalid")
        return super().deserialize(value, attr, data, **kwargs)


class Seconds(Id):
    """A positive whole number of seconds; booleans, floats and strings are refused."""

    default_error_messages = {"invalid": "Must be a positive whole number of seconds."}


class IdList(fields.Field):
    """A list of ids whose length is checked before its items; only the first bad items are named."""

    default_error_messages = {"invalid": "Not a valid list."}

    def __init__(self, *, max_len: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_len = max_len

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if value is missing or value is None:
            return super().deserialize(value, attr, data, **kwargs)
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) > self.max_len:
            raise ValidationError(f"Longer than maximum length {self.max_len}.")
        bad = [i for i, item in enumerate(value) if not is_id(item)]
        if bad:
            errors: dict[Any, list[str]] = {i: [Id.default_error_messages["invalid"]] for i in bad[:MAX_ERRORS]}
            if len(bad) > MAX_ERRORS:
                errors["more"] = [f"{len(bad) - MAX_ERRORS} more items are not valid."]
            raise ValidationError(errors)
        return super().deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A string, trimmed; length bounds apply after trimming."""

    def __init__(self, *, min_len: int = 0, max_len: int | None = None, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=min_len, max=max_len), **kwargs)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return super().deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs)


class Name(Text):
    """Text in NFKC without control, bidi or zero-width characters; a room's name also keeps each word to one script."""

    def __init__(self, *, one_script: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.one_script = one_script

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            try:
                value = names.normal(value.strip()).strip()
                if self.one_script:
                    names.check_scripts(value)
            except names.BadName as exc:
                raise ValidationError(str(exc)) from None
        return super().deserialize(value, attr, data, **kwargs)


class Email(fields.Email):
    """An e-mail address in NFKC, without invisible characters or a part mixing look-alike scripts."""

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            try:
                value = names.normal(value)
                names.check_scripts(value, "part of an e-mail address")
            except names.BadName as exc:
                raise ValidationError(str(exc)) from None
        return super().deserialize(value, attr, data, **kwargs)


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


class Kind(fields.String):
    """A group room's kind: public or private (a direct room is opened, not created, and keeps its kind)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.OneOf(
            ("public", "private"), error="Must be public or private (a direct room is opened with /api/chat/direct/)."),
            **kwargs)


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


class Count(Id):
    """A whole number from 1 to a bound; booleans, floats and strings are refused."""

    def __init__(self, *, most: int, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=most), **kwargs)


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
