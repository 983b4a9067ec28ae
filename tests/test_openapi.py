"""The OpenAPI document is valid, covers every route, and real responses and frames match it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from chatserver.keys import CONFIG
from chatserver.openapi import FRAMES
from contract_support import DOC, check, frame_schema, server_frame

from moderation_support import documented_moderation_calls

UNDOCUMENTED = {"/", "/api/docs/", "/media/{name}"}  # the web client, this page, attachments (binary)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


class Recorder:
    """Calls the API and holds each response against the operation's documented response."""

    def __init__(self, client) -> None:
        self.client = client
        self.seen: set[tuple[str, str, int]] = set()

    async def __call__(self, method: str, template: str, status: int, *, user=None, ids: dict | None = None,
                       **kw: Any) -> Any:
        operation = DOC["paths"][template][method.lower()]
        headers = {**(user.auth if user else {}), **kw.pop("headers", {})}
        resp = await self.client.request(method, template.format(**(ids or {})), headers=headers, **kw)
        body = await resp.json()
        assert resp.status == status, body
        documented = operation["responses"].get(str(status))
        assert documented, f"{method} {template} answered {status}, which the document does not list"
        check(documented["content"]["application/json"]["schema"], body)
        self.seen.add((method.lower(), template, status))
        return body


def test_the_document_is_valid_openapi():
    validate(DOC)
    assert DOC["openapi"].startswith("3.1")
    token = DOC["components"]["securitySchemes"]["Token"]
    assert {k: v for k, v in token.items() if k != "description"} == {
        "type": "apiKey", "in": "header", "name": "Authorization"}
    assert "Token <40 hex characters>" in token["description"]  # the header's form, which apiKey cannot say


async def test_every_route_is_documented_and_nothing_else(client):
    routes = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        canonical = route.resource.canonical if route.resource else ""
        if route.method in ("HEAD", "*") or "directory" in info or canonical in UNDOCUMENTED:
            continue
        routes.add((route.method.lower(), canonical))
    documented = {(method, path) for path, item in DOC["paths"].items() for method in item}
    assert routes == documented


async def test_schema_and_docs_pages_are_served(client):
    resp = await client.get("/api/schema/")
    assert resp.status == 200 and await resp.json() == json.loads(json.dumps(DOC))
    resp = await client.get("/api/docs/")
    page = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert 'fetch("/api/schema/")' in page
    assert "http://" not in page and "https://" not in page and "<script src" not in page


async def test_real_responses_match_their_documented_schemas(client, register, connect):
    api = Recorder(client)
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    await api("POST", "/api/user/register/", 201, json={
        "email": "new@example.org", "password": "correct horse", "first_name": "New", "year": "2nd"})
    await api("POST", "/api/user/register/", 400, json={"email": "new@example.org", "password": "x", "first_name": ""})
    await api("POST", "/api/user/register/", 400, data=b"{not json", headers={"Content-Type": "application/json"})
    await api("POST", "/api/user/register/", 413, data=io.BytesIO(b"x" * (1024 * 1024 + 10)), headers={"Content-Type": "application/json"})
    await api("POST", "/api/user/login/", 200, json={"email": asha["email"], "password": "correct horse"})
    await api("POST", "/api/user/login/", 401, json={"email": asha["email"], "password": "wrong one"})
    await api("GET", "/api/user/me/", 200, user=asha)
    await api("GET", "/api/user/me/", 401)
    await api("PATCH", "/api/user/me/", 200, user=asha, json={"last_name": "Rao", "photo": "https://example.org/a.png"})
    await api("PATCH", "/api/user/me/", 400, user=asha, json={"year": 2})
    await api("GET", "/api/user/list/", 200, user=asha)
    await api("PATCH", "/api/user/me/", 400, user=meera, json={"password": "a new password"})
    await api("PATCH", "/api/user/me/", 200, user=meera, json={"password": "a new password",
                                                                "current_password": "correct horse"})
    tokens = await api("GET", "/api/user/tokens/", 200, user=asha)
    spare = next(t for t in tokens if not t["is_current"])
    await api("DELETE", "/api/user/tokens/{id}/", 200, user=asha, ids={"id": spare["id"]})
    await api("DELETE", "/api/user/tokens/{id}/", 404, user=asha, ids={"id": spare["id"]})
    direct = {"user_id": meera["id"]}
    await api("POST", "/api/chat/direct/", 201, user=asha, json=direct)
    await api("POST", "/api/chat/direct/", 200, user=asha, json=direct)
    await api("POST", "/api/chat/direct/", 400, user=asha, json={"user_id": asha["id"]})
    await api("POST", "/api/user/blocks/", 201, user=meera, json={"user_id": asha["id"]})
    await api("POST", "/api/user/blocks/", 200, user=meera, json={"user_id": asha["id"]})
    await api("GET", "/api/user/blocks/", 200, user=meera)
    await api("POST", "/api/chat/direct/", 403, user=asha, json=direct)
    await api("DELETE", "/api/user/blocks/{user_id}/", 200, user=meera, ids={"user_id": asha["id"]})
    await api("DELETE", "/api/user/blocks/{user_id}/", 404, user=meera, ids={"user_id": asha["id"]})

    room = (await api("POST", "/api/chat/create-group/", 201, user=asha,
                      json={"name": "openapi", "description": "Docs", "members": [ravi["id"]]}))["room"]
    ids = {"id": room["id"]}
    await api("POST", "/api/chat/create-group/", 400, user=ravi, json={"name": "OpenAPI"})
    await api("GET", "/api/chat/groups/", 200, user=asha)
    ws = await connect(asha, room["id"])
    await ws.send_json({"message": "hello", "client_id": "c1"})
    assert (await ws.receive_json(timeout=5))["message"] == "hello"
    await ws.close()
    joined = await api("GET", "/api/chat/groups/", 200, user=ravi)
    assert joined[0]["last_message"]["content"] == "hello" and joined[0]["unread_count"] == 1
    await api("GET", "/api/chat/groups/list/", 200, user=meera)
    await api("GET", "/api/chat/groups/search/", 200, user=meera, params={"q": "open"})
    await api("GET", "/api/chat/groups/{id}/members/", 200, user=ravi, ids=ids)
    await api("GET", "/api/chat/groups/{id}/members/", 403, user=meera, ids=ids)
    await api("GET", "/api/chat/groups/{id}/search/members/", 200, user=ravi, ids=ids, params={"q": "as"})
    await api("POST", "/api/chat/group/{id}/add-yourself/", 200, user=meera, ids=ids)
    await api("POST", "/api/chat/group/{id}/add-yourself/", 400, user=meera, ids=ids)
    await api("POST", "/api/chat/group/{id}/remove-yourself/", 200, user=meera, ids=ids)
    await api("POST", "/api/chat/group/{id}/remove-yourself/", 403, user=asha, ids=ids)
    await api("POST", "/api/chat/groups/{id}/members/", 201, user=asha, ids=ids, json={"user_id": meera["id"]})
    await api("DELETE", "/api/chat/groups/{id}/members/{user_id}/", 200, user=asha,
              ids={**ids, "user_id": meera["id"]})
    await api("DELETE", "/api/chat/groups/{id}/members/{user_id}/", 404, user=asha,
              ids={**ids, "user_id": meera["id"]})
    await api("POST", "/api/chat/groups/{id}/mark-as-read/", 200, user=ravi, ids=ids)
    await api("PATCH", "/api/chat/edit-group/{id}/", 200, user=asha, ids=ids, json={"description": "Changed"})
    await api("PUT", "/api/chat/edit-group/{id}/", 403, user=ravi, ids=ids, json={"name": "mine"})
    await api("PUT", "/api/chat/edit-group/{id}/", 200, user=asha, ids=ids, json={"name": "openapi 2"})
    await api("POST", "/api/chat/group/{id}/transfer-ownership/", 400, user=asha, ids=ids,
              json={"new_owner_id": meera["id"]})
    await api("POST", "/api/chat/groups/{id}/mutes/", 201, user=asha, ids=ids, json={"user_id": ravi["id"], "duration": 60})
    await api("GET", "/api/chat/groups/{id}/mutes/", 200, user=ravi, ids=ids)
    await api("DELETE", "/api/chat/groups/{id}/mutes/{user_id}/", 200, user=asha, ids={**ids, "user_id": ravi["id"]})

    form = aiohttp.FormData()
    form.add_field("attachment", PNG, filename="dot.png", content_type="image/png")
    form.add_field("content", "a picture")
    upload = await api("POST", "/api/chat/groups/{id}/messages/upload/", 201, user=ravi, ids=ids, data=form)
    assert upload["message_type"] == "image"
    await api("POST", "/api/chat/groups/{id}/pins/", 200, user=asha, ids=ids, json={"message_id": upload["id"], "pin": True})
    await api("GET", "/api/chat/groups/{id}/pins/", 200, user=ravi, ids=ids)
    await api("GET", "/api/chat/groups/{id}/messages/", 200, user=asha, ids=ids)
    await api("POST", "/api/chat/groups/{id}/messages/", 200, user=asha, ids=ids, params={"limit": "1"})
    await api("GET", "/api/chat/groups/{id}/messages/", 200, user=asha, ids=ids, params={"page": "1", "page_size": "1"})
    await api("GET", "/api/chat/groups/{id}/messages/", 404, user=asha, ids=ids, params={"page": "9"})
    await api("GET", "/api/chat/groups/{id}/messages/", 400, user=asha, ids=ids, params={"limit": "-1"})
    await api("GET", "/api/chat/groups/{id}/messages/", 403, user=meera, ids=ids)
    await api("GET", "/api/chat/groups/{id}/messages/", 404, user=asha, ids={"id": 999})
    events = await api("GET", "/api/chat/groups/{id}/events/", 200, user=asha, ids=ids, params={"after_seq": "0"})
    assert [e["seq"] for e in events["events"]] == [1, 2, 3]  # the message, the upload, its pin
    found = await api("GET", "/api/chat/search/", 200, user=asha, params={"q": "pictu* has:image"})
    assert [hit["message"]["id"] for hit in found["results"]] == [upload["id"]]
    await api("GET", "/api/chat/search/", 400, user=asha, params={"q": "has:image"})
    doomed = {**ids, "message_id": upload["id"]}
    await api("DELETE", "/api/chat/groups/{id}/messages/{message_id}/", 403, user=meera, ids=doomed)
    await api("DELETE", "/api/chat/groups/{id}/messages/{message_id}/", 200, user=asha, ids=doomed)
    await api("DELETE", "/api/chat/groups/{id}/messages/{message_id}/", 400, user=asha, ids=doomed)
    await documented_moderation_calls(api, asha, ravi, meera, room["id"])
    await api("POST", "/api/chat/group/{id}/transfer-ownership/", 200, user=asha, ids=ids,
              json={"new_owner_id": ravi["id"]})
    invite = await api("POST", "/api/chat/groups/{id}/invites/", 201, user=ravi, ids=ids, json={"max_uses": 2})
    await api("POST", "/api/chat/groups/{id}/invites/", 403, user=meera, ids=ids)
    await api("GET", "/api/chat/groups/{id}/invites/", 200, user=ravi, ids=ids)
    await api("POST", "/api/chat/invites/{code}/accept/", 200, user=meera, ids=invite)
    await api("DELETE", "/api/chat/groups/{id}/invites/{code}/", 200, user=ravi, ids={**ids, "code": invite["code"]})
    await api("POST", "/api/chat/invites/{code}/accept/", 404, user=asha, ids={"code": "revoked-or-never-made"})
    await api("DELETE", "/api/chat/delete-group/{id}/", 403, user=asha, ids=ids)
    await api("DELETE", "/api/chat/delete-group/{id}/", 200, user=ravi, ids=ids)
    await api("DELETE", "/api/chat/delete-group/{id}/", 404, user=ravi, ids=ids)
    health = await client.get("/healthz")
    check(DOC["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
          await health.json())
    await api("POST", "/api/user/logout/", 200, user=asha)
    await api("POST", "/api/user/logout/", 401, user=asha)
    wrong = {"email": asha["email"], "password": "not her password"}
    for _ in range(client.app[CONFIG].login_rate - 1):  # the first failure for her e-mail was above
        await api("POST", "/api/user/login/", 401, json=wrong)
    throttled = await api("POST", "/api/user/login/", 429, json=wrong)
    assert throttled["retry_after"] > 0
    succeeded = {(method, path) for method, path, status in api.seen if status < 300}
    operations = {(m, p) for p, item in DOC["paths"].items() if p.startswith("/api/user/") or p.startswith("/api/chat/")
                  for m in item}
    assert operations - succeeded == set(), "operations never answered successfully in this test"


async def test_frames_of_a_real_session_match_the_frame_schemas(client, connect, seat_two):
    asha, ravi, room, ws_a, ws_r = await seat_two()
    sent = [
        {"message": "Hello, world!", "message_type": "text"},
        {"action": "send_message", "message": "to Ravi", "mentions": [ravi["id"]], "client_id": "k1"},
        {"action": "typing"}, {"action": "stop_typing"},
    ]
    for frame in sent:
        check(frame_schema("client", frame.get("action", "send_message")), frame)
        await ws_a.send_json(frame)
    seen_by_ravi = [await ws_r.receive_json(timeout=5)]
    while "id" not in seen_by_ravi[-1]:  # typing is broadcast at once, a message after its commit
        seen_by_ravi.append(await ws_r.receive_json(timeout=5))
    first = seen_by_ravi[-1]
    followups = [
        {"action": "edit_message", "message_id": first["id"], "new_content": "Hello again"},
        {"action": "react_message", "message_id": first["id"], "reaction": "Heart"},
        {"action": "delete_message", "message_id": first["id"]},
    ]
    for frame in followups:
        check(frame_schema("client", frame["action"]), frame)
        await ws_a.send_json(frame)
    refused = [{"action": "edit_message", "message_id": first["id"], "new_content": "x"},  # deleted
               {"action": "fly"}, {"message": "", "client_id": "k2"}, {"message": "hi", "mentions": [10**6]}]
    for frame in refused:
        await ws_a.send_json(frame)
    await ws_a.send_str("{oops")

    kinds: list[str] = []
    for _ in range(len(sent) + len(followups) + len(refused) - 1):  # the typist gets no typing frames
        kinds.append(server_frame(await ws_a.receive_json(timeout=5)))
    assert sorted(kinds) == sorted(["message", "message", "edited", "reacted", "deleted",
                                    "error", "error", "error", "error", "error"])
    while len(seen_by_ravi) < 7:  # two messages, two typing, edited, reacted, deleted; none of the errors
        seen_by_ravi.append(await ws_r.receive_json(timeout=5))
    assert sorted(map(server_frame, seen_by_ravi)) == sorted(
        ["message", "message", "typing", "typing", "edited", "reacted", "deleted"])

    resumed = await connect(ravi, room["id"], "&after_seq=0")
    assert server_frame(await resumed.receive_json(timeout=5)) == "resumed"
    replay = [server_frame(await resumed.receive_json(timeout=5)) for _ in range(5)]
    assert replay == ["message", "message", "edited", "reacted", "deleted"]
    ahead = await connect(ravi, room["id"], "&after_seq=999")
    assert server_frame(await ahead.receive_json(timeout=5)) == "reset"
    for ws in (ws_a, ws_r, resumed, ahead):
        await ws.close()


def test_every_frame_schema_is_valid_and_its_example_fits():
    names = sorted(p.stem for p in Path(FRAMES).glob("*.json"))
    assert {n.split(".")[0] for n in names} == {"client", "server"}
    for name in names:
        side, action = name.split(".")
        schema = frame_schema(side, action)
        Draft202012Validator.check_schema(schema)
        for example in schema["examples"]:
            check(schema, example)
        assert f"{'ClientFrame' if side == 'client' else 'ServerFrame'}_{action}" in DOC["components"]["schemas"]


@pytest.mark.parametrize("frame", [
    {"action": "edit_message", "message_id": "1", "new_content": "x"},
    {"action": "react_message", "message_id": 1, "reaction": "Love"},
    {"action": "delete_message", "message_id": 0},
    {"message": ""},
])
async def test_frames_the_schemas_refuse_the_server_refuses_too(client, register, make_room, connect, frame):
    asha = await register("Asha")
    room = await make_room(asha)
    schema = frame_schema("client", frame.get("action", "send_message"))
    assert not Draft202012Validator(schema).is_valid(frame)
    ws = await connect(asha, room["id"])
    await ws.send_json(frame)
    reply = await ws.receive_json(timeout=5)
    assert reply["action"] == "error" and reply["code"] == "invalid"
    await ws.close()


def test_docs_api_md_links_every_frame_schema():
    api_md = (Path(__file__).resolve().parent.parent / "docs" / "API.md").read_text(encoding="utf-8")
    for file in FRAMES.glob("*.json"):
        assert f"(../chatserver/frame_schemas/{file.name})" in api_md
