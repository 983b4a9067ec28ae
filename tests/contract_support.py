"""Checks of what the server sends against the contracts it publishes: the OpenAPI document and the frame schemas."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from chatserver.config import Config
from chatserver.openapi import FRAMES, document

DOC = document(Config.from_env({}))


def check(schema: dict[str, Any], instance: Any) -> None:
    """instance is valid against schema, whose #/components references resolve in the document."""
    validator = Draft202012Validator({**schema, "components": DOC["components"]}, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def frame_schema(side: str, name: str) -> dict[str, Any]:
    """One of the shipped frame schemas."""
    return json.loads((FRAMES / f"{side}.{name}.json").read_text(encoding="utf-8"))


def server_frame(frame: dict[str, Any]) -> str:
    """Check a received frame against the server-frame schema its action names; returns that name."""
    name = frame.get("action", "message")
    check(frame_schema("server", name), frame)
    return name
