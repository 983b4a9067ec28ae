"""Each wire contract agrees with the code that enforces it: client frame specs, REST bodies, server frames."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatserver.config import Config
from chatserver.openapi import FRAMES
from chatserver.realtime.actions import ACTIONS
from chatserver.realtime.client_frames import LIMITS, REQUIRED

DEFAULTS = Config.from_env({})
WORDS = ("description", "default", "examples")  # for people; the checks below compare the rest


def shipped(side: str, name: str) -> dict[str, Any]:
    """One of the frame schemas in schema_files/."""
    return json.loads((FRAMES / f"{side}.{name}.json").read_text(encoding="utf-8"))


def spec_schema(action: str, field: str, check: Any) -> dict[str, Any]:
    """What a spec's check accepts, with the limits that are settings at their default values."""
    limits = {word: getattr(DEFAULTS, setting) for word, setting in LIMITS.get((action, field), {}).items()}
    return {**check.schema, **limits}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_client_frame_schema_agrees_with_its_spec_field_by_field(action):
    schema, spec = shipped("client", action), ACTIONS[action][0]
    fields = {name: prop for name, prop in schema["properties"].items() if name != "action"}
    assert set(fields) == set(spec.fields), "fields the schema and the spec do not share"
    assert schema["properties"]["action"]["const"] == action
    for name, (check, default) in spec.fields.items():
        assert {k: v for k, v in fields[name].items() if k not in WORDS} == spec_schema(action, name, check), name
        if "default" in fields[name]:
            assert fields[name]["default"] == default, name
    required = {name for name, (_, default) in spec.fields.items() if default is REQUIRED}
    assert set(schema["required"]) == required | ({"action"} if action != "send_message" else set())


def test_every_client_frame_schema_has_an_action():
    assert {p.stem.split(".")[1] for p in FRAMES.glob("client.*.json")} == set(ACTIONS)


def test_every_setting_named_by_a_client_limit_exists():
    for limits in LIMITS.values():
        for setting in limits.values():
            assert isinstance(getattr(DEFAULTS, setting), int)
