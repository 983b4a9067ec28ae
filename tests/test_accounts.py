"""Accounts and tokens over REST: register, log in and out, the caller's profile, the user list."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import aiohttp
import pytest

from chatserver import security
from chatserver.accounts import ADDRESS_REFUSED
from chatserver.config import Config

from conftest import recv

USER_KEYS = {"id", "email", "first_name", "last_name", "role", "photo", "year"}
UNAUTHORIZED = {"detail": "Authentication credentials were not provided or are invalid.",
                "code": "unauthorized"}


async def test_register_answers_201_with_token_and_user(client, db_rows):
    resp = await client.post("/api/user/register/", json={
        "email": "Asha@Example.org", "password": "correct horse", "first_name": "Asha",
        "last_name": "Rao", "year": "2nd", "photo": "https://example.org/asha.png"})
    assert resp.status == 201
    data = await resp.json()
    assert data["message"] == "User registered successfully."
    assert re.fullmatch(r"[0-9a-f]{40}", data["token"])
    (stored_id,), = db_rows("SELECT id FROM users WHERE email = 'asha@example.org'")
    assert data["user"] == {"id": stored_id, "email": "asha@example.org", "first_name": "Asha",
                            "last_name": "Rao", "role": "member", "photo": "https://example.org/asha.png",
                            "year": "2nd"}
    me = await client.get("/api/user/me/", headers={"Authorization": f"Token {data['token']}"})
    assert (await me.json())["id"] == stored_id  # the token is the new user's


async def test_register_defaults_optional_fields(client):
    resp = await client.post("/api/user/register/", json={
        "email": "ravi@example.org", "password": "12345678", "first_name": " Ravi "})
    assert resp.status == 201
    user = (await resp.json())["user"]
    assert (user["first_name"], user["last_name"], user["year"], user["photo"]) == ("Ravi", "", None, None)


async def test_duplicate_email_is_refused_whatever_its_case(client, register):
    await client.post("/api/user/register/", json={
        "email": "meera@example.org", "password": "12345678", "first_name": "Meera"})
    resp = await client.post("/api/user/register/", json={
        "email": "MEERA@example.ORG", "password": "87654321", "first_name": "Other"})
    assert resp.status == 400
    assert await resp.json() == {"email": [ADDRESS_REFUSED]}


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "password": "12345678", "first_name": "A"}, "email"),
    ({"email": "a@example.org", "password": "short", "first_name": "A"}, "password"),
    ({"email": "a@example.org", "password": "12345678", "first_name": "  "}, "first_name"),
    ({"email": "a@example.org", "password": "12345678"}, "first_name"),
    ({"email": "a@example.org", "password": "12345678", "first_name": "A", "photo": "not a url"}, "photo"),
])
async def test_register_invalid_field_is_a_field_error(client, db_rows, body, field):
    resp = await client.post("/api/user/register/", json=body)
    assert resp.status == 400
    data = await resp.json()
    assert list(data) == [field] and isinstance(data[field][0], str)
    assert db_rows("SELECT count(*) FROM users") == [(0,)]


async def test_closed_registration_is_403(make_client, config):
    client = await make_client(config.replace(registration="closed"))
    resp = await client.post("/api/user/register/", json={
        "email": "a@example.org", "password": "12345678", "first_name": "A"})
    assert resp.status == 403
    assert (await resp.json())["code"] == "forbidden"


async def test_email_domain_limits_registration(make_client, config):
    client = await make_client(config.replace(email_domain="club.example"))
    resp = await client.post("/api/user/register/", json={
        "email": "a@elsewhere.example", "password": "12345678", "first_name": "A"})
    assert resp.status == 400
    assert await resp.json() == {"email": ["Only addresses at club.example may register."]}
    resp = await client.post("/api/user/register/", json={
        "email": "a@CLUB.example", "password": "12345678", "first_name": "A"})
    assert resp.status == 201


async def test_login_answers_welcome_and_a_new_token(client, register):
    asha = await register("Asha")
    resp = await client.post("/api/user/login/", json={"email": asha["email"].upper(),
                                                        "password": asha["password"]})
    assert resp.status == 200
    data = await resp.json()
    assert data["message"] == "Welcome Asha!"
    assert data["user"] == dict(asha.items() - {("token", asha.token), ("password", asha["password"])})
    assert re.fullmatch(r"[0-9a-f]{40}", data["token"]) and data["token"] != asha.token
    for token in (data["token"], asha.token):  # one user, several devices
        me = await client.get("/api/user/me/", headers={"Authorization": f"Token {token}"})
        assert me.status == 200


async def test_wrong_password_and_unknown_email_get_the_same_401(client, register):
    asha = await register("Asha")
    bodies = [{"email": asha["email"], "password": "wrong password"},
              {"email": "nobody@example.org", "password": asha["password"]}]
    answers = []
    for body in bodies:
        resp = await client.post("/api/user/login/", json=body)
        assert resp.status == 401
        answers.append(await resp.json())
    assert answers[0] == answers[1] == {"detail": "Unable to log in with provided credentials.",
                                        "code": "unauthorized"}


async def test_logout_revokes_only_the_token_used(client, register):
    asha = await register("Asha")
    login = await (await client.post("/api/user/login/", json={
        "email": asha["email"], "password": asha["password"]})).json()
    resp = await client.post("/api/user/logout/", headers=asha.auth)
    assert resp.status == 200
    assert await resp.json() == {"message": "Successfully logged out."}
    resp = await client.get("/api/user/me/", headers=asha.auth)
    assert resp.status == 401
    assert await resp.json() == UNAUTHORIZED
    resp = await client.get("/api/user/me/", headers={"Authorization": f"Token {login['token']}"})
    assert resp.status == 200


async def test_bearer_scheme_is_accepted(client, register):
    asha = await register("Asha")
    resp = await client.get("/api/user/me/", headers={"Authorization": f"Bearer {asha.token}"})
    assert resp.status == 200
    assert (await resp.json())["id"] == asha["id"]


@pytest.mark.parametrize("header", [None, "", "Token", "Token ", "Basic abc", "Token " + "0" * 40,
                                    "Token " + "a" * 500])
@pytest.mark.parametrize("method, path", [("GET", "/api/user/me/"), ("PATCH", "/api/user/me/"),
                                          ("GET", "/api/user/list/"), ("POST", "/api/user/logout/")])
async def test_missing_or_bad_credentials_are_401_detail(client, register, header, method, path):
    await register("Asha")
    headers = {} if header is None else {"Authorization": header}
    resp = await client.request(method, path, headers=headers, json={})
    assert resp.status == 401
    assert await resp.json() == UNAUTHORIZED


async def test_me_answers_the_whole_user(client, register):
    asha = await register("Asha", year="3rd")
    resp = await client.get("/api/user/me/", headers=asha.auth)
    assert resp.status == 200
    data = await resp.json()
    assert set(data) == USER_KEYS
    assert (data["id"], data["first_name"], data["year"], data["role"]) == (asha["id"], "Asha", "3rd", "member")


async def test_patch_me_changes_the_profile(client, register):
    asha = await register("Asha")
    resp = await client.patch("/api/user/me/", headers=asha.auth, json={
        "first_name": "Asha M", "last_name": "Rao", "year": None, "photo": "https://example.org/p.jpg"})
    assert resp.status == 200
    data = await resp.json()
    assert (data["first_name"], data["last_name"], data["year"], data["photo"]) == \
        ("Asha M", "Rao", None, "https://example.org/p.jpg")
    again = await (await client.get("/api/user/me/", headers=asha.auth)).json()
    assert again == data


async def test_patch_me_password_changes_the_login_and_logs_out_every_other_token(
        client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    login = await client.post("/api/user/login/", json={"email": asha["email"], "password": asha["password"]})
    phone = {"Authorization": f"Token {(await login.json())['token']}"}
    ws_here = await connect(asha, room["id"])
    ws_phone = await client.ws_connect(f"/ws/chat/{room['id']}/", headers=phone)
    ws_ravi = await connect(ravi, room["id"])

    resp = await client.patch("/api/user/me/", headers=asha.auth,
                              json={"password": "a new password", "current_password": asha["password"]})
    assert resp.status == 200
    msg = await ws_phone.receive(timeout=3)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001
    assert (await client.get("/api/user/me/", headers=phone)).status == 401
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200  # the token that changed it
    await ws_here.send_json({"message": "still mine"})
    assert (await recv(ws_here))["message"] == "still mine"
    assert (await client.get("/api/user/me/", headers=ravi.auth)).status == 200  # nobody else's
    old = await client.post("/api/user/login/", json={"email": asha["email"], "password": asha["password"]})
    new = await client.post("/api/user/login/", json={"email": asha["email"], "password": "a new password"})
    assert (old.status, new.status) == (401, 200)
    for ws in (ws_here, ws_ravi):
        await ws.close()


@pytest.mark.parametrize("body, field", [({"role": "admin"}, "role"), ({"email": "x@example.org"}, "email"),
                                         ({"first_name": ""}, "first_name"), ({"password": "short"}, "password")])
async def test_patch_me_refuses_what_a_member_may_not_change(client, register, body, field):
    asha = await register("Asha")
    resp = await client.patch("/api/user/me/", headers=asha.auth, json=body)
    assert resp.status == 400
    assert list(await resp.json()) == [field]
    me = await (await client.get("/api/user/me/", headers=asha.auth)).json()
    assert (me["role"], me["first_name"]) == ("member", "Asha")


async def test_user_list_is_brief_and_complete_and_shows_only_ones_own_email(client, register):
    asha = await register("Asha", last_name="Rao", year="2nd")
    ravi = await register("Ravi")
    resp = await client.get("/api/user/list/", headers=ravi.auth)
    assert resp.status == 200
    assert await resp.json() == [
        {"id": asha["id"], "full_name": "Asha Rao", "email": None, "role": "member", "year": "2nd"},
        {"id": ravi["id"], "full_name": "Ravi", "email": ravi["email"], "role": "member", "year": None},
    ]


async def test_database_keeps_only_a_scrypt_hash_and_token_digests(client, config, register, db_rows):
    asha = await register("Asha")
    login = await (await client.post("/api/user/login/", json={
        "email": asha["email"], "password": asha["password"]})).json()
    [(stored,)] = db_rows("SELECT password_hash FROM users WHERE id = ?", (asha["id"],))
    assert asha["password"] not in stored
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(config.scrypt_n), "8", "1")
    assert security.verify_password_sync(asha["password"], stored)
    tokens = db_rows("SELECT digest, prefix FROM tokens WHERE user_id = ? ORDER BY id", (asha["id"],))
    assert tokens == [(hashlib.sha256(t.encode()).hexdigest(), t[:6]) for t in (asha.token, login["token"])]
    raw = b"".join(p.read_bytes() for p in Path(config.db).parent.glob("chat.db*"))
    for secret in (asha.token, login["token"], asha["password"]):
        assert secret.encode() not in raw


def test_default_password_cost_is_owasp_scrypt():
    assert Config().scrypt_n == 2**17
