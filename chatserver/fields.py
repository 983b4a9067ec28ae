"""Field types of the REST bodies that never coerce a type, and the parser of ids written as text."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, missing, validate

from . import names
from .errors import MAX_ERRORS

MAX_ID = 2**53
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


class Kind(fields.String):
    """A group room's kind: public or private (a direct room is opened, not created, and keeps its kind)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.OneOf(
            ("public", "private"), error="Must be public or private (a direct room is opened with /api/chat/direct/)."),
            **kwargs)


class Count(Id):
    """A whole number from 1 to a bound; booleans, floats and strings are refused."""

    def __init__(self, *, most: int, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=most), **kwargs)
