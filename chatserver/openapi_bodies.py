"""OpenAPI request bodies derived from the marshmallow schemas that check them (bodies.py), never written twice."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema as Body
from marshmallow import fields, validate

from .fields import Id, IdList
from .openapi_parts import ID, Schema, nullable, obj


def field_schema(field: fields.Field) -> Schema:
    """What one marshmallow field accepts, as JSON Schema."""
    if isinstance(field, Id) and not field.validators:
        return ID
    if isinstance(field, Id):
        out = dict(ID)
    elif isinstance(field, IdList):
        out: Schema = {"type": "array", "items": ID, "maxItems": field.max_len}
    elif isinstance(field, fields.Email):
        out = {"type": "string", "format": "email"}
    elif isinstance(field, fields.URL):
        out = {"type": "string", "format": "uri"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    else:
        raise TypeError(f"no JSON Schema for {type(field).__name__}")
    for rule in field.validators:
        if isinstance(rule, validate.Length):
            out.update({"minLength": rule.min} if rule.min else {})
            out.update({"maxLength": rule.max} if rule.max is not None else {})
        elif isinstance(rule, validate.Range):
            out.update({"minimum": rule.min, "maximum": rule.max})
        elif isinstance(rule, validate.OneOf):
            out["enum"] = list(rule.choices)
    return nullable(out) if field.allow_none else out


def body_schema(body: type[Body], descriptions: dict[str, str] | None = None, **extra: Any) -> Schema:
    """A closed object of the body's fields, the required ones required; descriptions are for people."""
    loaded = body().load_fields
    props = {name: {**field_schema(field), **({"description": (descriptions or {})[name]}
                                              if name in (descriptions or {}) else {})}
             for name, field in loaded.items()}
    return obj(props, [name for name, field in loaded.items() if field.required], **extra)
