"""Mutes: a room's owner, moderators and site admins mute a member, who reads but cannot send, edit, react or pin."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import recv, recv_until, silent
from contract_support import DOC, check
from upload_support import PNG, form


@pytest.fixture
def promote(config):
    """Make a member a moderator of a room, in the database (the moderators' endpoints are another part's)."""
    def make(room: dict, user: dict, db: str | None = None) -> None:
        conn = sqlite3.connect(db or config.db)
        with conn:
            conn.execute("UPDATE members SET moderator = 1 WHERE room_id = ? AND user_id = ?", (room["id"], user["id"]))
        conn.close()
    return make


def documented(method: str, path: str, status: int) -> dict:
    return DOC["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


async def test_owner_and_moderators_mute_and_lift_and_each_is_audited(client, register, make_room, promote, db_rows):
    owner, mod, asha, ravi = await register("Olga"), await register("Mo"), await register("Asha"), await register("Ravi")
    room = await make_room(owner, mod, asha, ravi)
    promote(room, mod)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    resp = await client.post(url, json={"user_id": asha["id"], "duration": 600, "reason": "flooding"}, headers=mod.auth)
    assert resp.status == 201, await resp.text()
    answer = await resp.json()
    check(documented("post", "/api/chat/groups/{id}/mutes/", 201), answer)
    mute = answer["mute"]
    assert mute["user"]["id"] == asha["id"] and mute["muted_by"] == mod["id"]
    until = datetime.fromisoformat(mute["until"])
    assert timedelta(seconds=590) < until - datetime.now(timezone.utc) <= timedelta(seconds=600)
    resp = await client.post(url, json={"user_id": ravi["id"]}, headers=owner.auth)
    assert resp.status == 201 and (await resp.json())["mute"]["until"] is None

    listed = await (await client.get(url, headers=owner.auth)).json()
    check(documented("get", "/api/chat/groups/{id}/mutes/", 200), listed)
    assert [m["user"]["id"] for m in listed] == [ravi["id"], asha["id"]]
    own = await (await client.get(url, headers=asha.auth)).json()  # a member sees only their own
    assert [(m["user"]["id"], m["until"]) for m in own] == [(asha["id"], mute["until"])]
    assert await (await client.get(url, headers=mod.auth)).json() == listed

    assert (await client.delete(f"{url}{asha['id']}/", headers=mod.auth)).status == 200
    assert await (await client.get(url, headers=asha.auth)).json() == []
    again = await client.delete(f"{url}{asha['id']}/", headers=mod.auth)
    assert again.status == 404 and (await again.json())["code"] == "not_found"
    assert db_rows("SELECT actor_id, action, room_id, target_id, reason FROM audit ORDER BY id") == [
        (mod["id"], "muted", room["id"], asha["id"], "flooding"), (owner["id"], "muted", room["id"], ravi["id"], ""),
        (mod["id"], "unmuted", room["id"], asha["id"], "")]


async def test_who_may_mute_whom(client, register, make_room, make_admin, promote, db_rows):
    owner, mod, mod2, asha, ravi = [await register(n) for n in ("Olga", "Mo", "Max", "Asha", "Ravi")]
    root, stranger = await make_admin(), await register("Stan")
    room = await make_room(owner, mod, mod2, asha, ravi)
    promote(room, mod)
    promote(room, mod2)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    for actor, body, status, code in (
            (asha, {"user_id": ravi["id"]}, 403, "forbidden"),         # a member
            (stranger, {"user_id": ravi["id"]}, 403, "forbidden"),     # not even a member
            (mod, {"user_id": owner["id"]}, 403, "forbidden"),         # the owner
            (root, {"user_id": owner["id"]}, 403, "forbidden"),
            (mod, {"user_id": mod2["id"]}, 403, "forbidden"),          # a moderator, by a moderator
            (mod, {"user_id": stranger["id"]}, 404, "not_member"),
            (mod, {"user_id": 10**6}, 404, "not_member"),
            (mod, {"user_id": ravi["id"], "duration": 30 * 86400 + 1}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": "60"}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": 0}, 400, None),
            (mod, {"user_id": ravi["id"], "duration": 1.5}, 400, None)):
        resp = await client.post(url, json=body, headers=actor.auth)
        assert resp.status == status, (actor["first_name"], body, await resp.text())
        if code:
            assert (await resp.json())["code"] == code
    assert (await client.get(url, headers=stranger.auth)).status == 403
    assert (await client.delete(f"{url}{ravi['id']}/", headers=asha.auth)).status == 403
    assert db_rows("SELECT count(*) FROM mutes") == [(0,)] and db_rows("SELECT count(*) FROM audit") == [(0,)]
    for actor, target in ((owner, mod2), (root, mod)):
        assert (await client.post(url, json={"user_id": target["id"], "duration": 60}, headers=actor.auth)).status == 201
    assert db_rows("SELECT user_id, actor_id FROM mutes ORDER BY user_id") == [(mod["id"], root["id"]), (mod2["id"], owner["id"])]


async def test_a_mute_past_its_time_is_over(client, register, make_room, config):
    owner, asha = await register("Olga"), await register("Asha")
    room = await make_room(owner, asha)
    url = f"/api/chat/groups/{room['id']}/mutes/"
    assert (await client.post(url, json={"user_id": asha["id"], "duration": 60}, headers=owner.auth)).status == 201
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="microseconds")
    conn = sqlite3.connect(config.db)
    with conn:
        conn.execute("UPDATE mutes SET until = ?", (past,))
    conn.close()
    assert await (await client.get(url, headers=owner.auth)).json() == []
    assert (await client.delete(f"{url}{asha['id']}/", headers=owner.auth)).status == 404


async def test_a_muted_member_reads_but_cannot_send_edit_react_pin_or_upload(
        client, register, make_room, connect, config, db_rows):
    owner, asha = await register("Olga"), await register("Asha")
    room = await make_room(owner, asha)
    ws_o, ws_a = await connect(owner, room["id"]), await connect(asha, room["id"])
    await ws_a.send_json({"message": "before the mute"})
    mine = await recv_until(ws_a, lambda f: f.get("message") == "before the mute")
    await recv_until(ws_o, lambda f: f.get("message") == "before the mute")
    resp = await client.post(f"/api/chat/groups/{room['id']}/mutes/", json={"user_id": asha["id"], "duration": 600},
                             headers=owner.auth)
    until = (await resp.json())["mute"]["until"]
    frames = ({"message": "hello?", "client_id": "m1"},
              {"action": "edit_message", "message_id": mine["id"], "new_content": "changed"},
              {"action": "react_message", "message_id": mine["id"], "reaction": "Like"},
              {"action": "pin_message", "message_id": mine["id"], "pin": True})
    for frame in frames:
        await ws_a.send_json(frame)
        refused = await recv(ws_a)
        assert (refused["action"], refused["code"], refused["until"]) == ("error", "muted", until), refused
    assert refused is not None and "until" in refused["error"]
    upload = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", headers=asha.auth,
                               data=form(PNG, "dot.png", "image/png"))
    body = await upload.json()
    assert upload.status == 403 and (body["code"], body["until"]) == ("muted", until)
    pin = await client.post(f"/api/chat/groups/{room['id']}/pins/", json={"message_id": mine["id"], "pin": True},
                            headers=asha.auth)
    assert pin.status == 403 and (await pin.json())["code"] == "muted"
    assert await silent(ws_o)  # nothing reached the room
    assert db_rows("SELECT count(*), max(is_edited) FROM messages") == [(1, 0)]
    assert db_rows("SELECT count(*) FROM reactions") == [(0,)]
    assert not any(Path(config.media_dir).glob("*")) if Path(config.media_dir).exists() else True  # the upload was dropped
    history = await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)
    assert history.status == 200 and len(await history.json()) == 1  # a muted member still reads

    await ws_a.send_json({"action": "delete_message", "message_id": mine["id"]})  # their own, still theirs to delete
    assert (await recv(ws_a))["action"] == "deleted"
    assert (await client.delete(f"/api/chat/groups/{room['id']}/mutes/{asha['id']}/", headers=owner.auth)).status == 200
    await ws_a.send_json({"message": "free again"})
    assert (await recv_until(ws_o, lambda f: "message" in f and f.get("action") is None))["message"] == "free again"


async def test_a_mute_holds_across_a_restart_and_ends_at_its_time_even_while_the_server_is_down(
        make_client, config, tmp_path, register):
    config = config.replace(db=str(tmp_path / "restart.db"))
    first = await make_client(config)
    owner, asha, ravi = [await register(n, cl=first) for n in ("Olga", "Asha", "Ravi")]
    room = (await (await first.post("/api/chat/create-group/", json={"name": "club", "members": [asha["id"], ravi["id"]]},
                                    headers=owner.auth)).json())["room"]
    for who in (asha, ravi):
        resp = await first.post(f"/api/chat/groups/{room['id']}/mutes/", json={"user_id": who["id"], "duration": 3600},
                                headers=owner.auth)
        assert resp.status == 201
    await first.close()
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="microseconds")
    conn = sqlite3.connect(config.db)
    with conn:  # an hour passes for Asha's mute while the server is down
        conn.execute("UPDATE mutes SET until = ? WHERE user_id = ?", (past, asha["id"]))
    conn.close()

    second = await make_client(config)
    for who, muted in ((asha, False), (ravi, True)):
        ws = await second.ws_connect(f"/ws/chat/{room['id']}/?token={who.token}")
        await ws.send_json({"message": f"{who['first_name']} after the restart"})
        frame = await recv(ws)
        assert (frame.get("code") == "muted") is muted, frame
        await ws.close()
    listed = await (await second.get(f"/api/chat/groups/{room['id']}/mutes/", headers=owner.auth)).json()
    assert [m["user"]["id"] for m in listed] == [ravi["id"]]


async def test_a_send_stored_before_the_mute_is_answered_on_retry_not_refused(client, register, make_room, connect):
    owner, asha = await register("Olga"), await register("Asha")
    room = await make_room(owner, asha)
    ws = await connect(asha, room["id"])
    await ws.send_json({"message": "sent just before", "client_id": "c1"})
    stored = await recv(ws)
    assert (await client.post(f"/api/chat/groups/{room['id']}/mutes/", json={"user_id": asha["id"]},
                              headers=owner.auth)).status == 201
    await ws.send_json({"message": "sent just before", "client_id": "c1"})  # the retry of a client that missed the echo
    assert await recv(ws) == stored
    await ws.send_json({"message": "a new one", "client_id": "c2"})
    assert (await recv(ws))["code"] == "muted"
    await ws.close()
