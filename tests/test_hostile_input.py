"""Hostile REST bodies: the work and the answer are bounded by what is allowed, not by what is sent."""

from __future__ import annotations

import asyncio

import orjson

from chatserver.errors import MAX_ERRORS

ANSWER_BYTES = 2048  # every refusal below fits in this, whatever the size of the body


async def test_a_huge_list_of_wrong_items_is_refused_by_its_length_in_a_small_answer(client, register):
    asha = await register("Asha")
    body = orjson.dumps({"name": "flood", "members": ["x"] * 20000})
    resp = await client.post("/api/chat/create-group/", data=body, headers={**asha.auth, "Content-Type": "application/json"})
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    assert orjson.loads(raw) == {"members": ["Longer than maximum length 10000."]}


async def test_wrong_items_within_the_limit_name_only_the_first_few_and_count_the_rest(client, register):
    asha = await register("Asha")
    members = [1, "2", True, 3, 4.0, *(["x"] * 9990)]
    resp = await client.post("/api/chat/create-group/", json={"name": "flood", "members": members}, headers=asha.auth)
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    errors = orjson.loads(raw)
    named = [key for key in errors if key.startswith("members.") and key != "members.more"]
    assert named == [f"members.{i}" for i in (1, 2, 4, 5, 6)][:MAX_ERRORS]
    assert errors["members.more"] == [f"{9993 - MAX_ERRORS} more items are not valid."]


async def test_thousands_of_unknown_fields_are_counted_not_listed(client, register):
    # as many as fit the body a login may need (a bigger body is refused by its length alone)
    body = {"email": "nobody@example.org", "password": "x" * 8, **{f"f{i}": i for i in range(3000)}}
    resp = await client.post("/api/user/login/", json=body)
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    errors = orjson.loads(raw)
    assert [k for k in errors if k != "more"] == [f"f{i}" for i in range(MAX_ERRORS)]
    assert errors["more"] == [f"{3000 - MAX_ERRORS} more unknown fields."]


async def test_a_long_unknown_field_name_is_not_echoed_whole(client, register):
    resp = await client.post("/api/user/login/", json={"k" * 60_000: 1, "email": "a@b.org", "password": "x"})
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    assert list(orjson.loads(raw)) == ["k" * 40 + "..."]


async def test_other_members_are_answered_while_hostile_bodies_are_refused(client, register, make_room):
    """Four clients sending the biggest allowed wrong bodies in a loop never keep a member's request waiting."""
    asha = await register("Asha")
    room = await make_room(asha)
    hostile = orjson.dumps({"name": "flood", "members": ["x"] * 10000})
    headers = {**asha.auth, "Content-Type": "application/json"}
    stop = asyncio.Event()
    sizes: list[int] = []

    async def attacker() -> None:
        while not stop.is_set():
            resp = await client.post("/api/chat/create-group/", data=hostile, headers=headers)
            sizes.append(len(await resp.read()))

    attackers = [asyncio.create_task(attacker()) for _ in range(4)]
    try:
        while len(sizes) < 8:
            await asyncio.sleep(0)
            resp = await client.get(f"/api/chat/groups/{room['id']}/members/", headers=asha.auth)
            assert resp.status == 200
    finally:
        stop.set()
        await asyncio.gather(*attackers)
    assert max(sizes) < ANSWER_BYTES


async def test_texts_far_over_their_limit_are_refused_unread(client, register):
    """A long e-mail or name would cost the e-mail check and NFKC a long pause; it is refused by its length.
    (A 1 MiB one does not even reach them: the body is longer than a registration can need.)"""
    body = {"email": "a" * 20_000 + "@club.example", "password": "correct horse", "first_name": "Ｆ" * 4_000}
    resp = await client.post("/api/user/register/", json=body)
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    assert orjson.loads(raw) == {"email": ["Longer than maximum length 254."],
                                 "first_name": ["Longer than maximum length 150."]}
    padded = await client.post("/api/user/register/", json={**body, "email": "pad@club.example", "first_name": " " * 300 + "Asha"})
    assert padded.status == 201


async def test_thousands_of_unknown_member_ids_are_counted_not_listed(client, register):
    asha = await register("Asha")
    resp = await client.post("/api/chat/create-group/", json={"name": "ghosts", "members": list(range(10**6, 10**6 + 10000))},
                             headers=asha.auth)
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    assert orjson.loads(raw) == {"members": ["No such user: 1000000, 1000001, 1000002, 1000003, 1000004 and 9995 more."]}


async def test_a_body_longer_than_its_schema_can_need_is_refused_by_its_length_unread(client):
    """A login needs a few hundred bytes: a 100 kB one is refused (413) from its Content-Length alone,
    before a byte of it arrives, let alone is parsed."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"POST /api/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n")  # the body never follows
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    assert head.startswith(b"HTTP/1.1 413")


async def test_a_room_with_the_most_members_allowed_fits_its_body_limit(client, register):
    asha = await register("Asha")
    members = list(range(2**53 - 10_000, 2**53))  # the longest ids, as many as allowed: none exists
    resp = await client.post("/api/chat/create-group/", headers=asha.auth,
                             json={"name": "crowd", "description": "x" * 1000, "members": members})
    assert resp.status == 400 and "members" in await resp.json()  # read and checked, not refused for size
