"""Bad input on every REST endpoint: the right status, a JSON body, and nothing written."""

from __future__ import annotations

import io

import orjson
import pytest

from chatserver import bodies

TABLES = ("users", "tokens", "rooms", "members", "messages", "mentions", "reactions", "events")

# (method, path, a valid body): every endpoint that reads a JSON body. {room}, {ravi} and the like
# are filled in from the `world` fixture; tokens are Asha's (the room's owner) unless anonymous.
JSON_ENDPOINTS = [
    ("POST", "/api/user/register/", {"email": "new@example.org", "password": "12345678", "first_name": "N"}),
    ("POST", "/api/user/login/", {"email": "{asha_email}", "password": "correct horse"}),
    ("PATCH", "/api/user/me/", {"first_name": "A"}),
    ("POST", "/api/chat/create-group/", {"name": "fresh"}),
    ("PUT", "/api/chat/edit-group/{room}/", {"name": "renamed"}),
    ("PATCH", "/api/chat/edit-group/{room}/", {"name": "renamed"}),
    ("POST", "/api/chat/group/{room}/transfer-ownership/", {"new_owner_id": "{ravi}"}),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": "{meera}"}),
]

WRONG_TYPES = [
    ("POST", "/api/user/register/",
     {"email": "new@example.org", "password": "12345678", "first_name": "N", "year": 2}, "year"),
    ("POST", "/api/user/register/", {"email": "new@example.org", "password": 12345678, "first_name": "N"},
     "password"),
    ("POST", "/api/user/register/", {"email": ["new@example.org"], "password": "12345678", "first_name": "N"},
     "email"),
    ("POST", "/api/user/login/", {"email": 1, "password": "12345678"}, "email"),
    ("PATCH", "/api/user/me/", {"year": 2}, "year"),
    ("PATCH", "/api/user/me/", {"first_name": None}, "first_name"),
    ("PATCH", "/api/user/me/", {"last_name": True}, "last_name"),
    ("POST", "/api/chat/create-group/", {"name": 5}, "name"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": "{ravi}"}, "members"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": ["2"]}, "members.0"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": [True]}, "members.0"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": [2.0]}, "members.0"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": [-1]}, "members.0"),
    ("POST", "/api/chat/create-group/", {"name": "x", "members": [2**53 + 1]}, "members.0"),
    ("POST", "/api/chat/create-group/", {"name": "x", "description": 7}, "description"),
    ("PATCH", "/api/chat/edit-group/{room}/", {"description": ["a"]}, "description"),
    ("PUT", "/api/chat/edit-group/{room}/", {"members": [{"id": 1}]}, "members.0"),
    ("PATCH", "/api/chat/edit-group/{room}/", {"room_avatar": 3}, "room_avatar"),
    ("POST", "/api/chat/group/{room}/transfer-ownership/", {"new_owner_id": "2"}, "new_owner_id"),
    ("POST", "/api/chat/group/{room}/transfer-ownership/", {}, "new_owner_id"),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": True}, "user_id"),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": 2.5}, "user_id"),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": None}, "user_id"),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": 2**64}, "user_id"),
]

MALFORMED = [b"{", b'{"name": }', b"{'name': 'x'}", b'{"name": "x",}', b"\xff\xfe{}", b"NaN",
             b'{"name": "x"} trailing',
             b"[" * 2000 + b"]" * 2000]
NOT_AN_OBJECT = [b"[]", b'"text"', b"1", b"null", b"true"]

# (method, path): a method the path does not serve.
WRONG_METHODS = [
    ("GET", "/api/user/register/"), ("DELETE", "/api/user/login/"), ("GET", "/api/user/logout/"),
    ("POST", "/api/user/me/"), ("PUT", "/api/user/me/"), ("POST", "/api/user/list/"),
    ("POST", "/api/chat/groups/"), ("DELETE", "/api/chat/groups/list/"), ("POST", "/api/chat/groups/search/"),
    ("GET", "/api/chat/create-group/"), ("POST", "/api/chat/edit-group/{room}/"),
    ("GET", "/api/chat/delete-group/{room}/"), ("GET", "/api/chat/group/{room}/add-yourself/"),
    ("DELETE", "/api/chat/group/{room}/remove-yourself/"), ("GET", "/api/chat/group/{room}/transfer-ownership/"),
    ("DELETE", "/api/chat/groups/{room}/members/"), ("PUT", "/api/chat/groups/{room}/search/members/"),
    ("GET", "/api/chat/groups/{room}/mark-as-read/"), ("POST", "/api/chat/groups/{room}/members/{ravi}/"),
    ("POST", "/healthz"),
]

UNKNOWN_PATHS = ["/api/nothing/", "/api/user/me", "/api/chat/groups/abc/members/", "/api/chat/groups/-1/members/",
                 "/api/chat/edit-group/1.5/", "/api/chat/groups/\u0661/members/",  # an Arabic-Indic digit one
                 "/api/chat/groups/{room}/members/abc/", "/api/chat/group/{room}/"]


@pytest.fixture
async def world(register, make_room):
    """Asha owns a room with Ravi in it; Meera belongs to no room."""
    asha, ravi, meera = await register("Asha"), await register("Ravi"), await register("Meera")
    room = await make_room(asha, ravi, name="club")
    return {"asha": asha, "ravi": ravi, "ids": {"room": room["id"], "ravi": ravi["id"], "meera": meera["id"],
                                                "asha_email": asha["email"]}}


@pytest.fixture
def snapshot(db_rows):
    """Every row of every table, to prove a refused request wrote nothing."""
    def take() -> dict[str, list[tuple]]:
        return {t: db_rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}
    return take


def fill(value, ids):
    """The template with room and user ids filled in (also inside bodies, where "{ravi}" becomes an int)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


async def send(client, world, method, path, *, data=None, json=None, headers=None):
    headers = {**world["asha"].auth, **(headers or {})}
    return await client.request(method, fill(path, world["ids"]), data=data, json=json, headers=headers)


# What each endpoint of JSON_ENDPOINTS answers to its valid body, and a key of that answer.
ACCEPTED = {"/api/user/register/": (201, "token"), "/api/user/login/": (200, "token"),
            "/api/user/me/": (200, "email"), "/api/chat/create-group/": (201, "room"),
            "/api/chat/edit-group/{room}/": (200, "room"), "/api/chat/group/{room}/transfer-ownership/": (200, "room"),
            "/api/chat/groups/{room}/members/": (201, "member")}


@pytest.mark.parametrize("method, path, body", JSON_ENDPOINTS)
async def test_valid_bodies_are_accepted(client, world, method, path, body):
    """The control for every case below: the same endpoints take a good body, as the caller."""
    resp = await send(client, world, method, path, json=fill(body, world["ids"]))
    status, key = ACCEPTED[path]
    assert resp.status == status, await resp.text()
    assert key in await resp.json()


@pytest.mark.parametrize("payloads, answer", [
    pytest.param(MALFORMED, {"detail": "Malformed JSON body.", "code": "invalid_json"}, id="malformed"),
    pytest.param(NOT_AN_OBJECT, {"non_field_errors": ["Expected a JSON object."]}, id="not-an-object"),
])
@pytest.mark.parametrize("method, path, _", JSON_ENDPOINTS)
async def test_malformed_json_and_non_objects_are_400(client, world, snapshot, method, path, _,
                                                       payloads, answer):
    before = snapshot()
    for raw in payloads:
        resp = await send(client, world, method, path, data=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 400, raw
        assert await resp.json() == answer, raw
    assert snapshot() == before


@pytest.mark.parametrize("method, path, body, field", WRONG_TYPES)
async def test_wrong_types_are_field_errors_never_coerced(client, world, snapshot, method, path, body, field):
    before = snapshot()
    resp = await send(client, world, method, path, json=fill(body, world["ids"]))
    assert resp.status == 400
    data = await resp.json()
    assert list(data) == [field]
    assert all(isinstance(m, str) for m in data[field])
    assert snapshot() == before


@pytest.mark.parametrize("method, path, body", JSON_ENDPOINTS)
async def test_unknown_fields_are_refused(client, world, snapshot, method, path, body):
    before = snapshot()
    resp = await send(client, world, method, path, json={**fill(body, world["ids"]), "is_admin": True})
    assert resp.status == 400
    assert await resp.json() == {"is_admin": ["Unknown field."]}
    assert snapshot() == before


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("method, path, body", JSON_ENDPOINTS)
async def test_bodies_over_one_mib_are_413(client, world, snapshot, method, path, body, chunked):
    before = snapshot()
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'

    async def chunks():
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    resp = await send(client, world, method, path, data=chunks() if chunked else io.BytesIO(big),
                      headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert await resp.json() == {"detail": "Request body too large.", "code": "too_large"}
    assert snapshot() == before


async def test_a_body_just_under_the_limit_arriving_in_pieces_is_read_whole(client, world):
    """A body of many packets is parsed whole: the description is too long, not the JSON malformed."""
    big = b'{"name": "long", "description": "' + b"x" * (bodies.body_limit(bodies.RoomCreate()) - 100) + b'"}'

    async def chunks():
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    resp = await send(client, world, "POST", "/api/chat/create-group/", data=chunks(),
                      headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert list(await resp.json()) == ["description"]


@pytest.mark.parametrize("method, path", WRONG_METHODS)
async def test_wrong_method_is_405_json_with_allow(client, world, snapshot, method, path):
    before = snapshot()
    resp = await send(client, world, method, path, json={})
    assert resp.status == 405
    assert resp.content_type == "application/json"
    assert await resp.json() == {"detail": "Method Not Allowed", "code": "method_not_allowed"}
    assert resp.headers["Allow"]
    assert method not in resp.headers["Allow"].split(",")
    assert snapshot() == before


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_unknown_paths_are_404_json(client, world, method, path):
    resp = await send(client, world, method, path)
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert (await resp.json())["code"] == "not_found"


@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "/api/chat/edit-group/{room}/", {"name": "mine now"}),
    ("DELETE", "/api/chat/delete-group/{room}/", None),
    ("POST", "/api/chat/group/{room}/transfer-ownership/", {"new_owner_id": "{ravi}"}),
    ("POST", "/api/chat/groups/{room}/members/", {"user_id": "{meera}"}),
    ("DELETE", "/api/chat/groups/{room}/members/{ravi}/", None),
])
async def test_a_members_attempts_at_owner_actions_are_403_and_write_nothing(client, world, snapshot,
                                                                           method, path, body):
    before = snapshot()
    resp = await client.request(method, fill(path, world["ids"]), json=fill(body, world["ids"]),
                                headers=world["ravi"].auth)
    assert resp.status == 403
    assert (await resp.json())["code"] == "forbidden"
    assert snapshot() == before


async def test_unknown_user_in_a_path_is_404(client, world):
    resp = await send(client, world, "DELETE", "/api/chat/groups/{room}/members/99999/")
    assert resp.status == 404
    assert (await resp.json())["code"] == "not_member"


@pytest.mark.parametrize("method, path, body", JSON_ENDPOINTS)
async def test_a_body_that_cannot_be_decoded_is_400(client, world, snapshot, method, path, body):
    before = snapshot()
    resp = await send(client, world, method, path, data=orjson.dumps(fill(body, world["ids"])),
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert resp.status == 400
    assert await resp.json() == {"detail": "The request body could not be read.", "code": "bad_request"}
    assert snapshot() == before
