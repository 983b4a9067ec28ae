"""The audit log: read by site admins and by a room's moderators over REST, exported by the admin command."""

from __future__ import annotations

import json

import pytest

from chatserver.cli import main


async def call(client, path, user, **params):
    resp = await client.get(path, headers=user.auth, params=params)
    return resp.status, await resp.json()


@pytest.fixture
async def history(client, register, make_room, make_admin):
    """Two rooms, each with a few moderation actions; returns (admin, owner, moderator, member, rooms)."""
    asha, mira, ravi, omar = [await register(n) for n in ("Asha", "Mira", "Ravi", "Omar")]
    first, second = await make_room(asha, mira, ravi), await make_room(asha, ravi)
    for room in (first, second):
        base = f"/api/chat/groups/{room['id']}"
        if room is first:
            assert (await client.post(f"{base}/moderators/", json={"user_id": mira["id"]}, headers=asha.auth)).status == 200
        assert (await client.post(f"{base}/bans/", json={"user_id": omar["id"], "reason": "spam"},
                                  headers=asha.auth)).status == 201
        assert (await client.delete(f"{base}/bans/{omar['id']}/", headers=asha.auth)).status == 200
    return await make_admin(), asha, mira, ravi, first, second


async def test_site_admins_read_the_whole_log_in_pages(client, history):
    admin, asha, mira, ravi, first, second = history
    status, page = await call(client, "/api/admin/audit/", admin)
    assert status == 200 and page["has_more"] is False
    assert [(e["action"], e["room_id"]) for e in page["entries"]] == [
        ("moderator_added", first["id"]), ("banned", first["id"]), ("unbanned", first["id"]),
        ("banned", second["id"]), ("unbanned", second["id"])]
    banned = page["entries"][1]
    assert (banned["actor_id"], banned["reason"], banned["detail"]) == (asha["id"], "spam", {"was_member": False})
    status, part = await call(client, "/api/admin/audit/", admin, limit="2", after_id="1")
    assert [e["id"] for e in part["entries"]] == [2, 3] and part["last_id"] == 3 and part["has_more"] is True
    status, part = await call(client, "/api/admin/audit/", admin, room=str(second["id"]))
    assert [e["action"] for e in part["entries"]] == ["banned", "unbanned"]
    for bad in ({"after_id": "-1"}, {"room": "x"}, {"limit": "0"}):
        assert (await call(client, "/api/admin/audit/", admin, **bad))[0] == 400
    for who in (asha, mira, ravi):
        status, data = await call(client, "/api/admin/audit/", who)
        assert (status, data["code"]) == (403, "forbidden")


async def test_a_rooms_log_is_for_its_owner_moderators_and_site_admins(client, history):
    admin, asha, mira, ravi, first, second = history
    path = f"/api/chat/groups/{first['id']}/audit/"
    for who in (admin, asha, mira):
        status, page = await call(client, path, who)
        assert status == 200 and [e["action"] for e in page["entries"]] == ["moderator_added", "banned", "unbanned"]
    status, page = await call(client, path, mira, after_id=str(page["entries"][1]["id"]))
    assert [e["action"] for e in page["entries"]] == ["unbanned"]
    assert (await call(client, path, ravi))[0] == 403


async def test_a_transfer_of_ownership_is_on_the_record(client, history):
    admin, asha, mira, ravi, first, second = history
    moved = await client.post(f"/api/chat/group/{first['id']}/transfer-ownership/", json={"new_owner_id": ravi["id"]},
                              headers=asha.auth)
    assert moved.status == 200
    status, page = await call(client, f"/api/chat/groups/{first['id']}/audit/", ravi)
    last = page["entries"][-1]
    assert (last["action"], last["actor_id"], last["target_id"], last["detail"]) == (
        "ownership_transferred", asha["id"], ravi["id"], {"from": asha["id"]})
    assert (await call(client, f"/api/chat/groups/{second['id']}/audit/", mira))[0] == 403  # not her room
    assert (await call(client, "/api/chat/groups/999/audit/", admin))[0] == 404


async def test_audit_export_writes_json_lines(cli, client, history, capsys):
    admin, asha, mira, ravi, first, second = history
    _, page = await call(client, "/api/admin/audit/", admin)
    code, out, err = await cli("audit-export")
    assert (code, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == page["entries"]
    code, out, _ = await cli("audit-export", "--room", str(second["id"]), "--after-id", str(page["entries"][3]["id"]))
    assert code == 0 and [json.loads(line)["action"] for line in out.splitlines()] == ["unbanned"]
    with pytest.raises(SystemExit) as refused:
        main(["audit-export", "--after-id", "-3"])
    assert refused.value.code == 2 and "expected a non-negative integer" in capsys.readouterr().err
