"""REST request bodies: marshmallow schemas that never coerce a type (socket frames: realtime/client_frames.py)."""

from __future__ import annotations

from typing import Any, Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .errors import ChatError

MAX_ID = 2**53
REACTIONS = ("Like", "Cool", "HaHa", "Heart", "Anger", "Smile", "Sad")


def is_id(value: Any) -> bool:
    """A positive integer id: booleans, floats and strings are not."""
    return type(value) is int and 0 < value <= MAX_ID


class Id(fields.Integer):
    """A positive integer id; booleans, floats and strings are refused."""

    default_error_messages = {"invalid": "Must be a positive integer id."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not is_id(value):
            raise self.make_error("invalid")
        return value


class Text(fields.String):
    """A string, trimmed; length bounds apply after trimming."""

    def __init__(self, *, min_len: int = 0, max_len: int | None = None, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=min_len, max=max_len), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Strict(Schema):
    """Unknown fields are an error."""

    class Meta:
        unknown = RAISE


class Register(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    first_name = Text(required=True, min_len=1, max_len=150)
    last_name = Text(max_len=150, load_default="")
    year = Text(max_len=20, allow_none=True, load_default=None)
    photo = fields.URL(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class Login(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=1024))


class ProfileUpdate(Strict):
    first_name = Text(min_len=1, max_len=150)
    last_name = Text(max_len=150)
    year = Text(max_len=20, allow_none=True)
    photo = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    password = fields.String(validate=validate.Length(min=8, max=1024))
    current_password = fields.String(validate=validate.Length(max=1024))


class RoomCreate(Strict):
    name = Text(required=True, min_len=1, max_len=50)
    description = Text(max_len=1000, load_default="")
    members = fields.List(Id(), load_default=list, validate=validate.Length(max=10000))


class RoomUpdate(Strict):
    name = Text(min_len=1, max_len=50)
    description = Text(max_len=1000)
    room_avatar = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    members = fields.List(Id(), validate=validate.Length(max=10000))


class TransferOwnership(Strict):
    new_owner_id = Id(required=True)


class AddMember(Strict):
    user_id = Id(required=True)


class Search(Schema):
    """The query string of a search; other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    q = Text(max_len=100, load_default="")


def load(schema: Schema, data: Any, **context: Any) -> dict[str, Any]:
    """Validate data with schema, or raise ChatError('invalid') naming each bad field."""
    if not isinstance(data, Mapping):
        raise ChatError("invalid", "Expected a JSON object.", fields={"non_field_errors": ["Expected a JSON object."]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"non_field_errors": exc.messages}
        raise ChatError("invalid", "Invalid input.", fields=messages) from None


def check_length(fields_: dict[str, str], limit: int) -> None:
    """Refuse any of these texts longer than limit characters."""
    long = {name: [f"Ensure this field has no more than {limit} characters."]
            for name, text in fields_.items() if text is not None and len(text) > limit}
    if long:
        raise ChatError("invalid", "Invalid input.", fields=long)
