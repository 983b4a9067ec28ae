"""Each wire contract agrees with the code that enforces it: client frame specs, REST bodies, server frames."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from chatserver.config import Config
from chatserver.openapi import FRAMES
from chatserver.realtime.actions import ACTIONS
from chatserver.client_frames import LIMITS, REQUIRED
from conftest import recv
from contract_support import frame_schema

DEFAULTS = Config.from_env({})
WORDS = ("description", "default", "examples")  # for people; the checks below compare the rest


@pytest.fixture
def config(config):
    """Each room event told on its own to user streams (CHAT_ACTIVITY_INTERVAL=0)."""
    return config.replace(activity_interval=0)


def spec_schema(action: str, field: str, check: Any) -> dict[str, Any]:
    """What a spec's check accepts, with the limits that are settings at their default values."""
    limits = {word: getattr(DEFAULTS, setting) for word, setting in LIMITS.get((action, field), {}).items()}
    return {**check.schema, **limits}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_client_frame_schema_agrees_with_its_spec_field_by_field(action):
    schema, spec = frame_schema("client", action), ACTIONS[action][0]
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


def open_objects(schema: Any, where: str = "") -> list[str]:
    """Where a schema lists an object's properties but lets other keys through."""
    found = []
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("additionalProperties") is not False:
            found.append(where or "/")
        for key, value in schema.items():
            found += open_objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += open_objects(value, f"{where}/{i}")
    return found


def test_every_server_frame_schema_closes_each_object_it_describes():
    for file in FRAMES.glob("server.*.json"):
        assert open_objects(json.loads(file.read_text(encoding="utf-8"))) == [], file.name


async def test_every_kind_of_server_frame_a_live_server_sends_matches_its_schema(
        client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    stream = await client.ws_connect(f"/ws/user/?token={ravi.token}")
    ws_a, ws_r = await connect(asha, room["id"]), await connect(ravi, room["id"])
    seen: dict[str, list[dict]] = {}

    async def take(ws, count: int) -> None:
        for _ in range(count):
            frame = await recv(ws)
            seen.setdefault(frame.get("action", "message"), []).append(frame)

    await ws_a.send_json({"action": "typing"})
    await take(ws_r, 1)
    await ws_a.send_json({"message": "hi @Ravi", "mentions": [ravi["id"]], "client_id": "c1"})
    await take(ws_a, 1)
    first = seen["message"][0]
    for frame in ({"action": "edit_message", "message_id": first["id"], "new_content": "hello"},
                  {"action": "react_message", "message_id": first["id"], "reaction": "Like"},
                  {"action": "pin_message", "message_id": first["id"], "pin": True},
                  {"action": "delete_message", "message_id": first["id"]},
                  {"action": "edit_message", "message_id": first["id"], "new_content": "gone"},
                  {"message": "hi", "mentions": [10**6], "client_id": "c2"}):
        await ws_a.send_json(frame)
    await take(ws_a, 6)
    await take(stream, 5)  # room_activity for the message, the edit, the reaction, the pin and the deletion
    resp = await client.post(f"/api/chat/groups/{room['id']}/mark-as-read/", headers=ravi.auth)
    assert resp.status == 200
    await take(stream, 1)
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", headers=asha.auth, json={"name": "renamed"})
    assert resp.status == 200
    await take(stream, 1)
    await take(await connect(ravi, room["id"], "&after_seq=0"), 1)
    await take(await connect(ravi, room["id"], "&after_seq=999"), 1)

    assert set(seen) == {p.stem.split(".")[1] for p in FRAMES.glob("server.*.json")}
    for name, frames in seen.items():
        schema = frame_schema("server", name)
        for frame in frames:
            errors = [e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(frame)]
            assert errors == [], f"{name}: {errors}"
    for ws in (stream, ws_a, ws_r):
        await ws.close()


async def test_the_served_document_tells_the_limits_the_server_was_started_with(make_client, config):
    cl = await make_client(config.replace(max_message_length=20, max_mentions=3))
    doc = await (await cl.get("/api/schema/")).json()
    upload = doc["paths"]["/api/chat/groups/{id}/messages/upload/"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["content"]["maxLength"] == 20
    frames = doc["components"]["schemas"]
    assert frames["ClientFrame_send_message"]["properties"]["message"]["maxLength"] == 20
    assert frames["ClientFrame_send_message"]["properties"]["mentions"]["maxItems"] == 3
    assert frames["ClientFrame_edit_message"]["properties"]["new_content"]["maxLength"] == 20


async def test_a_client_reads_the_limits_it_keeps_to_without_a_token(make_client, config):
    cl = await make_client(config.replace(max_message_length=20, max_mentions=3, max_upload_bytes=1000))
    resp = await cl.get("/api/config/")
    answer = await resp.json()
    assert resp.status == 200
    assert answer == {"max_message_length": 20, "max_mentions": 3, "max_upload_bytes": 1000,
                      "reactions": frame_schema("client", "react_message")["properties"]["reaction"]["enum"]}
    doc = await (await cl.get("/api/schema/")).json()
    schema = doc["paths"]["/api/config/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    errors = list(Draft202012Validator({**schema, "components": doc["components"]}).iter_errors(answer))
    assert errors == []
