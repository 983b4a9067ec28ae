"""History over REST: the seed's array, keyset paging, the DRF envelope, and restarts."""

from __future__ import annotations

import pytest

from conftest import recv

HISTORY_KEYS = {"id", "sender", "attachment", "message_type", "content", "reactions", "is_deleted",
                "is_edited", "is_self", "status", "created_at", "updated_at", "room", "parent_message",
                "parent_message_id", "mentions", "seq", "is_pinned", "pinned_at", "pinned_by"}


@pytest.fixture
def config(config):
    """These tests write hundreds of messages quickly."""
    return config.replace(rate_limit=0)


async def send_many(ws, count: int, start: int = 0) -> list[int]:
    for i in range(count):
        await ws.send_json({"message": f"m{start + i}"})
    return [(await recv(ws))["id"] for _ in range(count)]


@pytest.fixture
async def room_with(register, make_room, connect):
    async def make(count: int):
        asha = await register("Asha")
        room = await make_room(asha)
        ws = await connect(asha, room["id"])
        ids = await send_many(ws, count)
        await ws.close()
        return asha, room, ids
    return make


async def test_array_newest_first_in_the_seed_shape(client, room_with):
    asha, room, ids = await room_with(3)
    resp = await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)
    assert resp.status == 200
    body = await resp.json()
    assert [m["id"] for m in body] == ids[::-1]
    first = body[-1]
    assert set(first) == HISTORY_KEYS
    assert first["sender"] == {"id": asha["id"], "first_name": "Asha", "last_name": "", "role": "member",
                               "photo": None, "year": None}
    assert first["content"] == "m0" and first["reactions"] is None and first["status"] == {}
    assert first["room"] == room["id"] and first["is_deleted"] is False and first["mentions"] == []
    assert first["is_self"] is True and first["parent_message"] is None and first["parent_message_id"] is None


async def test_post_serves_the_same_history(client, room_with):
    asha, room, ids = await room_with(2)
    got = await (await client.post(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert [m["id"] for m in got] == ids[::-1]


async def test_keyset_paging_through_1200_messages_has_no_gap_or_duplicate(client, room_with):
    asha, room, ids = await room_with(1200)
    seen, before = [], None
    while True:
        query = "?limit=200" + (f"&before={before}" if before else "")
        page = await (await client.get(f"/api/chat/groups/{room['id']}/messages/{query}", headers=asha.auth)).json()
        if not page:
            break
        seen += [m["id"] for m in page]
        before = page[-1]["id"]
    assert seen == sorted(ids, reverse=True)


async def test_limit_default_50_and_capped_at_200(client, room_with):
    asha, room, _ = await room_with(260)
    url = f"/api/chat/groups/{room['id']}/messages/"
    assert len(await (await client.get(url, headers=asha.auth)).json()) == 50
    assert len(await (await client.get(url + "?limit=1000", headers=asha.auth)).json()) == 200
    paged = await (await client.get(url + "?page=1&page_size=500", headers=asha.auth)).json()
    assert paged["count"] == 260 and len(paged["results"]) == 100 and "page_size=100" in paged["next"]
    for bad in ("?limit=abc", "?limit=0", "?before=-3", "?before=1.5"):
        resp = await client.get(url + bad, headers=asha.auth)
        assert resp.status == 400 and isinstance(await resp.json(), dict)


async def test_drf_pages_as_the_android_app_reads_them(client, room_with):
    asha, room, ids = await room_with(45)
    url = f"/api/chat/groups/{room['id']}/messages/"
    first = await (await client.get(url + "?page=1", headers=asha.auth)).json()
    assert first["count"] == 45 and first["previous"] is None and len(first["results"]) == 20
    assert "page=2" in first["next"]
    collected, page = [], 1
    while True:
        resp = await client.get(url + f"?page={page}&page_size=20", headers=asha.auth)
        if resp.status == 404:
            assert (await resp.json())["detail"] == "Invalid page."
            break
        collected += [m["id"] for m in (await resp.json())["results"]]
        page += 1
    assert page == 4 and collected == ids[::-1]
    big = await (await client.get(url + "?page_size=500", headers=asha.auth)).json()
    assert len(big["results"]) == 45 and big["next"] is None


async def test_history_is_for_members_only(client, register, room_with):
    asha, room, _ = await room_with(1)
    ravi = await register("Ravi")
    url = f"/api/chat/groups/{room['id']}/messages/"
    assert (await client.get(url, headers=ravi.auth)).status == 403
    assert (await client.get(url)).status == 401
    assert (await client.get(f"/api/chat/groups/{room['id'] + 50}/messages/", headers=asha.auth)).status == 404


async def test_messages_survive_a_restart_on_the_same_file(make_client, config, tmp_path, register, make_room):
    config = config.replace(db=str(tmp_path / "restart.db"))
    first = await make_client(config)
    asha = await register("Asha", cl=first)
    room = await make_room(asha, cl=first)
    ws = await first.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    ids = await send_many(ws, 5)
    await ws.close()
    await first.close()

    second = await make_client(config)
    got = await (await second.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert [m["id"] for m in got] == ids[::-1]
    ws = await second.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await ws.send_json({"message": "after restart"})
    frame = await recv(ws)
    assert frame["id"] == ids[-1] + 1 and frame["seq"] == 6
    await ws.close()


async def test_around_a_message_deep_in_history_centres_the_page_on_it(client, room_with):
    asha, room, ids = await room_with(300)
    url = f"/api/chat/groups/{room['id']}/messages/"
    target = ids[40]
    page = await (await client.get(url + f"?around={target}&limit=11", headers=asha.auth)).json()
    assert [m["id"] for m in page] == ids[35:46][::-1]
    assert page[5]["id"] == target and page[5]["content"] == "m40"
    near_end = await (await client.get(url + f"?around={ids[-2]}&limit=10", headers=asha.auth)).json()
    assert [m["id"] for m in near_end] == ids[-10:][::-1]
    oldest = await (await client.get(url + f"?around={ids[0]}&limit=4", headers=asha.auth)).json()
    assert [m["id"] for m in oldest] == ids[:4][::-1]


async def test_around_a_deleted_or_foreign_message_is_a_clear_404(client, room_with, make_room, connect):
    asha, room, ids = await room_with(3)
    ws = await connect(asha, room["id"])
    await ws.send_json({"action": "delete_message", "message_id": ids[1]})
    assert (await recv(ws))["action"] == "deleted"
    await ws.close()
    other = await make_room(asha, name="elsewhere")
    ws = await connect(asha, other["id"])
    await ws.send_json({"message": "not in the first room"})
    foreign = (await recv(ws))["id"]
    await ws.close()
    url = f"/api/chat/groups/{room['id']}/messages/"
    for around, detail in ((ids[1], "That message was deleted."), (foreign, "No such message in this room."),
                           (foreign + 100, "No such message in this room.")):
        resp = await client.get(url + f"?around={around}", headers=asha.auth)
        assert resp.status == 404 and (await resp.json())["detail"] == detail
    for bad in ("?around=0", "?around=x", f"?around={ids[0]}&before={ids[2]}"):
        resp = await client.get(url + bad, headers=asha.auth)
        assert resp.status == 400 and "around" in await resp.json()
