"""Room kinds: public and private rooms, switching between them, and a private room kept from non-members."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from chatserver.keys import DB
from chatserver.storage.db import execute

from conftest import recv_until

API = Path(__file__).parent.parent / "docs" / "API.md"
SECRET = "treasurer-only"


async def create(client, owner, **body):
    resp = await client.post("/api/chat/create-group/", headers=owner.auth, json={"name": "committee", **body})
    return resp.status, await resp.json()


async def listed(client, user, path):
    resp = await client.get(path, headers=user.auth)
    assert resp.status == 200
    return [room["name"] for room in await resp.json()]


async def test_a_room_is_public_unless_created_private_and_every_room_object_says_so(client, register):
    asha = await register("Asha")
    status, public = await create(client, asha, name="open")
    assert status == 201
    assert (public["room"]["kind"], public["room"]["read_only"], public["room"]["members_may_pin"]) \
        == ("public", False, False)
    status, private = await create(client, asha, kind="private")
    assert status == 201 and private["room"]["kind"] == "private"
    mine = await (await client.get("/api/chat/groups/", headers=asha.auth)).json()
    assert {(r["name"], r["kind"]) for r in mine} == {("open", "public"), ("committee", "private")}


@pytest.mark.parametrize("kind", ["direct", "secret", "", None, 1, True])
async def test_create_refuses_any_other_kind(client, register, kind):
    asha = await register("Asha")
    status, body = await create(client, asha, kind=kind)
    assert status == 400 and list(body) == ["kind"], body
    assert await listed(client, asha, "/api/chat/groups/") == []


async def test_the_owner_switches_a_room_private_and_back_and_each_switch_is_audited(client, register, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    _, made = await create(client, asha, members=[ravi["id"]])
    room_id = made["room"]["id"]
    path = f"/api/chat/edit-group/{room_id}/"
    resp = await client.patch(path, headers=ravi.auth, json={"kind": "private"})
    assert resp.status == 403
    resp = await client.patch(path, headers=asha.auth, json={"kind": "private"})
    assert resp.status == 200 and (await resp.json())["room"]["kind"] == "private"
    resp = await client.patch(path, headers=asha.auth, json={"kind": "private", "description": "same kind"})
    assert resp.status == 200
    resp = await client.patch(path, headers=asha.auth, json={"kind": "public"})
    assert (await resp.json())["room"]["kind"] == "public"
    resp = await client.patch(path, headers=asha.auth, json={"kind": "direct"})
    assert resp.status == 400 and "kind" in await resp.json()
    assert db_rows("SELECT actor_id, action, room_id, detail FROM audit ORDER BY id") == [
        (asha["id"], "room_kind_changed", room_id, '{"from":"public","to":"private"}'),
        (asha["id"], "room_kind_changed", room_id, '{"from":"private","to":"public"}')]


async def test_a_site_admin_switches_any_room_but_a_direct_room_never_changes_kind(client, register, make_admin,
                                                                                   make_room, db_rows):
    asha, root = await register("Asha"), await make_admin()
    room = await make_room(asha)
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", headers=root.auth, json={"kind": "private"})
    assert resp.status == 200 and (await resp.json())["room"]["kind"] == "private"
    await client.app[DB].write(execute, "UPDATE rooms SET kind = 'direct' WHERE id = ?", (room["id"],))
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", headers=root.auth, json={"kind": "public"})
    assert resp.status == 400 and (await resp.json()) == {"kind": ["A direct room's kind never changes."]}
    assert db_rows("SELECT kind FROM rooms") == [("direct",)]


async def test_a_private_room_is_listed_and_found_only_for_its_members_and_site_admins(client, register, make_admin):
    asha, ravi, eve, root = await register("Asha"), await register("Ravi"), await register("Eve"), await make_admin()
    await create(client, asha, name="committee", kind="private", members=[ravi["id"]])
    await create(client, asha, name="commons")
    for user, expected in ((asha, ["committee", "commons"]), (ravi, ["committee", "commons"]),
                           (root, ["committee", "commons"]), (eve, ["commons"])):
        assert sorted(await listed(client, user, "/api/chat/groups/list/")) == expected
        assert sorted(await listed(client, user, "/api/chat/groups/search/?q=comm")) == expected
    assert await listed(client, eve, "/api/chat/groups/search/?q=committee") == []
    assert await listed(client, ravi, "/api/chat/groups/") == ["committee"]


async def test_add_yourself_is_refused_for_a_private_room_but_the_owner_may_add_anyone(client, register, make_admin,
                                                                                     db_rows):
    asha, eve, root = await register("Asha"), await register("Eve"), await make_admin()
    _, made = await create(client, asha, kind="private")
    room_id = made["room"]["id"]
    resp = await client.post(f"/api/chat/group/{room_id}/add-yourself/", headers=eve.auth)
    body = await resp.json()
    assert resp.status == 403 and body["code"] == "forbidden" and "committee" not in str(body)
    assert db_rows("SELECT user_id FROM members WHERE room_id = ?", (room_id,)) == [(asha["id"],)]
    resp = await client.post(f"/api/chat/groups/{room_id}/members/", headers=asha.auth, json={"user_id": eve["id"]})
    assert resp.status == 201
    resp = await client.post(f"/api/chat/group/{room_id}/add-yourself/", headers=root.auth)
    assert resp.status == 200


def room_paths() -> list[tuple[str, str]]:
    """(method, path) of every row of API.md's "Every path" table that names a room."""
    table = API.read_text().split("## Every path", 1)[1].split("\n## ", 1)[0]
    found = []
    for path, methods in re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", table, re.M):
        if "<id>" in path or "<room_id>" in path:
            found += [(method.strip(), path) for method in methods.split(",")]
    return found


async def test_every_path_naming_a_private_room_tells_a_non_member_nothing_of_it(client, register, connect, db_rows):
    asha, ravi, eve = await register("Asha"), await register("Ravi", last_name="Treasurer"), await register("Eve")
    _, made = await create(client, asha, kind="private", description=SECRET, members=[ravi["id"]])
    room_id = made["room"]["id"]
    ws = await connect(asha, room_id)
    await ws.send_json({"action": "send_message", "message": SECRET})
    await recv_until(ws, lambda f: f.get("message") == SECRET)
    invite = await (await client.post(f"/api/chat/groups/{room_id}/invites/", headers=asha.auth)).json()
    before = db_rows("SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM messages),"
                     " (SELECT group_concat(name || description || kind) FROM rooms),"
                     " (SELECT count(*) FROM invites WHERE revoked_at IS NULL), (SELECT last_read_id FROM members"
                     " WHERE user_id = ?)", (asha["id"],))
    walked = room_paths()
    assert len(walked) >= 17, walked
    for method, path in walked:
        if method.startswith("GET (WebSocket"):
            continue
        url = (path.replace("<id>", str(room_id)).replace("<room_id>", str(room_id))
               .replace("<user_id>", str(ravi["id"])).replace("<code>", invite["code"]))
        resp = await client.request(method, url, headers=eve.auth, json={"user_id": ravi["id"], "name": "x"})
        text = await resp.text()
        expected = 403 if path.endswith("/add-yourself/") else 404
        assert resp.status == expected, (method, url, text)
        for secret in (SECRET, "committee", "Treasurer", invite["code"]):
            assert secret not in text, (method, url, text)
    for query in ("", "&after_seq=0"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await connect(eve, room_id, query)
        assert refused.value.status == 404
    stream = await client.ws_connect(f"/ws/user/?token={eve.token}")
    await ws.send_json({"action": "send_message", "message": "after eve looked"})
    await recv_until(ws, lambda f: f.get("message") == "after eve looked")
    await stream.send_json({"action": "ping"})  # the stream answers this one; nothing of the room comes before it
    assert (await recv_until(stream, lambda f: True))["action"] == "error"
    after = db_rows("SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM messages) - 1,"
                    " (SELECT group_concat(name || description || kind) FROM rooms),"
                    " (SELECT count(*) FROM invites WHERE revoked_at IS NULL), (SELECT last_read_id FROM members"
                    " WHERE user_id = ?)", (asha["id"],))
    assert after == before


async def test_a_public_room_still_answers_a_non_member_403_where_it_did(client, register, make_room):
    asha, eve = await register("Asha"), await register("Eve")
    room = await make_room(asha)
    resp = await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=eve.auth)
    assert resp.status == 403
    resp = await client.get(f"/api/chat/groups/{room['id']}/members/", headers=eve.auth)
    assert resp.status == 403


async def test_switching_the_kind_tells_the_members_streams(client, register, make_room):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    stream = await client.ws_connect(f"/ws/user/?token={ravi.token}")
    await stream.send_json({"action": "ping"})
    assert (await recv_until(stream, lambda f: True))["action"] == "error"  # the stream is following now
    resp = await client.patch(f"/api/chat/edit-group/{room['id']}/", headers=asha.auth, json={"kind": "private"})
    assert resp.status == 200
    assert (await recv_until(stream, lambda f: True))["action"] == "rooms_changed"
    [mine] = await (await client.get("/api/chat/groups/", headers=ravi.auth)).json()
    assert mine["kind"] == "private"


async def test_nobody_joins_a_direct_room_with_add_yourself_not_even_a_site_admin(client, register, make_admin,
                                                                                 make_room, db_rows):
    asha, root = await register("Asha"), await make_admin()
    room = await make_room(asha)
    await client.app[DB].write(execute, "UPDATE rooms SET kind = 'direct' WHERE id = ?", (room["id"],))
    resp = await client.post(f"/api/chat/group/{room['id']}/add-yourself/", headers=root.auth)
    assert resp.status == 403
    assert db_rows("SELECT user_id FROM members") == [(asha["id"],)]


async def test_a_site_admin_who_is_not_a_member_is_told_so_in_a_private_room_as_in_any_other(
        client, register, make_admin, connect):
    asha, root = await register("Asha"), await make_admin()
    _, made = await create(client, asha, kind="private")
    room_id = made["room"]["id"]
    for path in ("messages/", "events/"):
        resp = await client.get(f"/api/chat/groups/{room_id}/{path}", headers=root.auth)
        assert resp.status == 403, path
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(root, room_id)
    assert refused.value.status == 403
    members = await client.get(f"/api/chat/groups/{room_id}/members/", headers=root.auth)
    assert members.status == 200
