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
    body = {"email": "nobody@example.org", "password": "x" * 8, **{f"f{i}": i for i in range(9000)}}
    resp = await client.post("/api/user/login/", json=body)
    raw = await resp.read()
    assert resp.status == 400 and len(raw) < ANSWER_BYTES
    errors = orjson.loads(raw)
    assert [k for k in errors if k != "more"] == [f"f{i}" for i in range(MAX_ERRORS)]
    assert errors["more"] == [f"{9000 - MAX_ERRORS} more unknown fields."]


async def test_a_long_unknown_field_name_is_not_echoed_whole(client, register):
    resp = await client.post("/api/user/login/", json={"k" * 100_000: 1, "email": "a@b.org", "password": "x"})
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
    """A 1 MiB e-mail or name would cost the e-mail check and NFKC a long pause; it is refused by its length."""
    body = {"email": "a" * 100_000 + "@club.example", "password": "correct horse", "first_name": "Ｆ" * 100_000}
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
