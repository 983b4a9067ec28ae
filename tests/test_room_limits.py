"""One user's rooms are bounded (CHAT_MAX_ROOMS_PER_USER): their room list stays cheap to build."""

from __future__ import annotations

import pytest


@pytest.fixture
def config(config):
    return config.replace(max_rooms_per_user=3)


async def test_no_path_puts_a_user_in_more_rooms_than_the_limit(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    for n in range(3):
        await make_room(asha, name=f"asha {n}")
    fourth = await client.post("/api/chat/create-group/", headers=asha.auth, json={"name": "one more"})
    assert (fourth.status, await fourth.json()) == (400, {"members": [
        f"Already in 3 rooms, the most a user may be in: {asha['id']}."]})
    ravis = await make_room(ravi, name="ravi's")
    added = await client.post(f"/api/chat/groups/{ravis['id']}/members/", headers=ravi.auth,
                              json={"user_id": asha["id"]})
    assert added.status == 400 and f"the most a user may be in: {asha['id']}." in (await added.json())["user_id"][0]
    joined = await client.post(f"/api/chat/group/{ravis['id']}/add-yourself/", headers=asha.auth)
    assert joined.status == 400
    edited = await client.patch(f"/api/chat/edit-group/{ravis['id']}/", headers=ravi.auth,
                                json={"members": [asha["id"]]})
    assert edited.status == 400
    with_her = await client.post("/api/chat/create-group/", headers=ravi.auth,
                                 json={"name": "with asha", "members": [asha["id"]]})
    assert with_her.status == 400
    listed = await (await client.get("/api/chat/groups/", headers=asha.auth)).json()
    assert len(listed) == 3  # nothing above went through


async def test_leaving_a_room_frees_a_place_and_a_room_one_is_in_can_still_be_edited(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    rooms = [await make_room(asha, ravi, name=f"shared {n}") for n in range(3)]
    edited = await client.patch(f"/api/chat/edit-group/{rooms[0]['id']}/", headers=asha.auth,
                                json={"members": [ravi["id"]], "description": "still both of us"})
    assert edited.status == 200  # ravi is already in it: no new room for him
    assert (await client.post(f"/api/chat/group/{rooms[2]['id']}/remove-yourself/", headers=ravi.auth)).status == 200
    ravis = await client.post("/api/chat/create-group/", headers=ravi.auth, json={"name": "ravi's own"})
    assert ravis.status == 201


async def test_zero_is_no_limit(make_client, config, tmp_path):
    cl = await make_client(config.replace(max_rooms_per_user=0, db=str(tmp_path / "free.db")))
    user = await (await cl.post("/api/user/register/", json={
        "email": "many@example.org", "password": "correct horse", "first_name": "Many"})).json()
    auth = {"Authorization": f"Token {user['token']}"}
    for n in range(5):
        assert (await cl.post("/api/chat/create-group/", headers=auth, json={"name": f"room {n}"})).status == 201


async def test_the_room_list_is_served_at_a_bounded_rate_per_user(make_client, config, tmp_path):
    """The costliest read (every room with its unread count) is fetched at most CHAT_ROOM_LIST_RATE a
    second by one user after a burst; another user is not held to the first one's fetches."""
    cl = await make_client(config.replace(room_list_rate=0.5, room_list_burst=3, db=str(tmp_path / "lists.db")))
    tokens = []
    for name in ("asha", "ravi"):
        answer = await (await cl.post("/api/user/register/", json={
            "email": f"{name}@example.org", "password": "correct horse", "first_name": name})).json()
        tokens.append({"Authorization": f"Token {answer['token']}"})
    statuses = [(await cl.get("/api/chat/groups/", headers=tokens[0])).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = await cl.get("/api/chat/groups/", headers=tokens[0])
    assert refused.headers["Retry-After"] == "1" and (await refused.json())["code"] == "rate_limited"
    assert (await cl.get("/api/chat/groups/", headers=tokens[1])).status == 200
