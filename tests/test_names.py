"""Look-alike names: one form per name (NFKC), no invisible characters, e-mails and room names unique as people read them."""

from __future__ import annotations

import sqlite3

import pytest

from chatserver.accounts import ADDRESS_REFUSED
from chatserver.storage.db import Database
from chatserver.storage.migrations import SCHEMA_VERSION
from older_files import as_version

CYRILLIC_A, CYRILLIC_E = "\u0430", "\u0435"
INVISIBLE = ["\u202e", "\u200b", "\u200d", "\ufeff", "\u2066", "\x00", "\x07", "\n", "\u2028"]


def signup(email: str, first_name: str = "Asha", **extra) -> dict:
    return {"email": email, "password": "correct horse", "first_name": first_name, **extra}


async def test_an_email_with_a_cyrillic_letter_does_not_register_beside_the_real_one(client):
    assert (await client.post("/api/user/register/", json=signup("admin@club.example"))).status == 201
    resp = await client.post("/api/user/register/", json=signup(f"{CYRILLIC_A}dmin@club.example"))
    assert resp.status == 400
    assert await resp.json() == {"email": ["A part of an e-mail address must not mix Cyrillic and Latin letters."]}
    resp = await client.post("/api/user/register/", json=signup(f"admin@club.ex{CYRILLIC_A}mple"))
    assert resp.status == 400 and "email" in await resp.json()


async def test_emails_are_one_address_under_unicode_case_folding_and_nfkc(client):
    first = await client.post("/api/user/register/", json=signup("straße@club.example"))
    assert first.status == 201
    for twin in ("STRASSE@club.example", "strasse@club.example", "ｓｔｒａｓｓｅ@club.example", "STRAẞE@CLUB.EXAMPLE"):
        resp = await client.post("/api/user/register/", json=signup(twin))
        assert (resp.status, await resp.json()) == (400, {"email": [ADDRESS_REFUSED]}), twin
    for spelling in ("STRASSE@CLUB.EXAMPLE", "ｓｔｒａßｅ@club.example"):
        login = await client.post("/api/user/login/", json={"email": spelling, "password": "correct horse"})
        assert login.status == 200, spelling
    assert (await first.json())["user"]["email"] == "straße@club.example"


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
async def test_names_emails_and_room_names_refuse_invisible_and_control_characters(client, register, char):
    asha = await register("Asha")
    resp = await client.post("/api/user/register/", json=signup(f"a{char}b@club.example"))
    assert resp.status == 400 and list(await resp.json()) == ["email"]
    resp = await client.post("/api/user/register/", json=signup("ab@club.example", first_name=f"Ad{char}min"))
    assert resp.status == 400 and list(await resp.json()) == ["first_name"]
    resp = await client.patch("/api/user/me/", json={"last_name": f"x{char}y"}, headers=asha.auth)
    assert resp.status == 400 and list(await resp.json()) == ["last_name"]
    resp = await client.post("/api/chat/create-group/", json={"name": f"Gen{char}eral"}, headers=asha.auth)
    assert resp.status == 400 and list(await resp.json()) == ["name"]
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200


async def test_room_names_are_unique_ignoring_case_accents_and_width(client, register, make_room):
    asha = await register("Asha")
    room = await make_room(asha, name="General")
    for twin in ("general", "GÉNÉRAL", "ＧＥＮＥＲＡＬ", "Général"):
        resp = await client.post("/api/chat/create-group/", json={"name": twin}, headers=asha.auth)
        assert (resp.status, await resp.json()) == (400, {"name": ["A room with this name already exists."]}), twin
    resp = await client.post("/api/chat/create-group/", json={"name": f"g{CYRILLIC_E}neral"}, headers=asha.auth)
    assert (resp.status, await resp.json()) == (400, {"name": ["A word must not mix Cyrillic and Latin letters."]})
    other = await make_room(asha, name="Chess")
    resp = await client.put(f"/api/chat/edit-group/{other['id']}/", json={"name": "GENERAL"}, headers=asha.auth)
    assert resp.status == 400
    renamed = await client.patch(f"/api/chat/edit-group/{room['id']}/", json={"name": "GÉNÉRAL"}, headers=asha.auth)
    assert renamed.status == 200 and (await renamed.json())["room"]["name"] == "GÉNÉRAL"


async def test_names_are_stored_in_nfkc_and_scripts_may_differ_between_words(client, register, db_rows):
    resp = await client.post("/api/user/register/", json=signup("ﬁona@club.example", first_name="Ｆｉｏｎａ"))
    assert resp.status == 201
    assert db_rows("SELECT email, first_name FROM users WHERE first_name = 'Fiona'") == [("fiona@club.example", "Fiona")]
    asha = await register("Asha")
    resp = await client.post("/api/chat/create-group/", json={"name": "Шахматы chess Σκάκι"}, headers=asha.auth)
    assert resp.status == 201


async def test_an_older_database_gets_its_keys_and_keeps_look_alike_rows_it_already_had(tmp_path):
    """Version 1 had no keys: the migration fills them, and rows that now collide all stay and stay usable."""
    path = str(tmp_path / "old.db")
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    as_version(conn, 1)
    now = "2026-01-01T00:00:00+00:00"
    for email in ("straße@x.org", "strasse@x.org"):
        conn.execute("INSERT INTO users (email, password_hash, first_name, created_at, updated_at)"
                     " VALUES (?, 'x', 'A', ?, ?)", (email, now, now))
    for name in ("GÉNÉRAL", "général", "Chess"):
        conn.execute("INSERT INTO rooms (name, owner_id, created_at, updated_at) VALUES (?, 1, ?, ?)", (name, now, now))
    conn.commit()
    conn.close()
    db = await Database.open(path)
    try:
        assert (await db.fetchone("PRAGMA user_version"))["user_version"] == SCHEMA_VERSION
        keys = await db.fetchall("SELECT id, email_key FROM users ORDER BY id")
        assert [r["email_key"] for r in keys] == ["strasse@x.org", "strasse@x.org\x1f2"]
        rooms = await db.fetchall("SELECT name_key FROM rooms ORDER BY id")
        assert [r["name_key"] for r in rooms] == ["general", "general\x1f2", "chess"]
    finally:
        await db.close()
    from chatserver.storage.users import get_login
    from chatserver.storage.rooms import room_by_name
    db = await Database.open(path)
    try:
        assert (await get_login(db, "STRASSE@x.org"))["id"] == 2
        assert (await get_login(db, "straße@x.org"))["id"] == 1
        assert (await room_by_name(db, "général"))["id"] == 2
        assert (await room_by_name(db, "general"))["id"] == 1
    finally:
        await db.close()
