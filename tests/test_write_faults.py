"""Writes that fail or are undone: ids never reused, refused batches answered, health while writes fail."""

from __future__ import annotations

import sqlite3

import aiohttp

from conftest import read_rows, recv, silent
from older_files import as_version


async def test_message_ids_are_never_reused_after_a_room_is_deleted_and_a_restart(
        make_client, config, tmp_path, register, make_room):
    config = config.replace(db=str(tmp_path / "ids.db"))
    first = await make_client(config)
    asha = await register("Asha", cl=first)
    kept, secret = await make_room(asha, cl=first), await make_room(asha, cl=first)
    ws = await first.ws_connect(f"/ws/chat/{kept['id']}/?token={asha.token}")
    await ws.send_json({"message": "hello"})
    first_id = (await recv(ws))["id"]
    await ws.close()
    ws = await first.ws_connect(f"/ws/chat/{secret['id']}/?token={asha.token}")
    await ws.send_json({"message": "secret"})
    secret_id = (await recv(ws))["id"]
    await ws.close()
    assert secret_id > first_id
    resp = await first.delete(f"/api/chat/delete-group/{secret['id']}/", headers=asha.auth)
    assert resp.status == 200
    await first.close()

    second = await make_client(config)
    ws = await second.ws_connect(f"/ws/chat/{kept['id']}/?token={asha.token}")
    await ws.send_json({"message": "after the restart"})
    assert (await recv(ws))["id"] > secret_id, "a deleted message's id was handed out again"
    await ws.close()
    assert read_rows(config.db, "SELECT value FROM high_water WHERE name = 'message_id'")[0][0] > secret_id


async def test_a_file_of_the_previous_schema_gets_its_high_water_mark_from_its_messages(
        make_client, config, tmp_path, register, make_room):
    config = config.replace(db=str(tmp_path / "old.db"))
    first = await make_client(config)
    asha = await register("Asha", cl=first)
    room = await make_room(asha, cl=first)
    ws = await first.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await ws.send_json({"message": "before the upgrade"})
    last_id = (await recv(ws))["id"]
    await ws.close()
    await first.close()
    with sqlite3.connect(config.db) as conn:
        as_version(conn, 1)

    second = await make_client(config)
    assert read_rows(config.db, "SELECT value FROM high_water WHERE name = 'message_id'") == [(last_id,)]
    ws = await second.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await ws.send_json({"message": "after the upgrade"})
    assert (await recv(ws))["id"] == last_id + 1
    await ws.close()


async def test_a_failed_write_is_answered_health_says_503_and_a_retry_succeeds_once_writable(
        make_client, config, tmp_path, seat_two):
    config = config.replace(db=str(tmp_path / "locked.db"), busy_timeout=0.2)
    cl = await make_client(config)
    asha, ravi, room, ws_a, ws_r = await seat_two(cl)
    assert (await cl.get("/healthz")).status == 200
    other = sqlite3.connect(config.db, isolation_level=None)  # another process's connection
    other.execute("BEGIN EXCLUSIVE")
    try:
        await ws_a.send_json({"message": "while locked", "client_id": "c-1"})
        await ws_a.send_json({"message": "also while locked", "client_id": "c-2"})
        refused = [await recv(ws_a), await recv(ws_a)]
        assert [(f["action"], f["code"], f["client_id"]) for f in refused] == \
            [("error", "unavailable", "c-1"), ("error", "unavailable", "c-2")]
        form = aiohttp.FormData()
        form.add_field("attachment", b"notes", filename="notes.txt", content_type="text/plain")
        upload = await cl.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form, headers=asha.auth)
        assert (upload.status, (await upload.json())["code"]) == (503, "unavailable")
        assert await silent(ws_r), "nothing was stored, so nothing is broadcast"
        resp = await cl.get("/healthz")
        assert (resp.status, (await resp.json())["status"]) == (503, "unavailable")
        created = await cl.post("/api/chat/create-group/", json={"name": "while locked"}, headers=asha.auth)
        assert (created.status, (await created.json())["code"]) == (503, "unavailable")  # not 500
        assert created.headers["Retry-After"] == "1"
    finally:
        other.rollback()
        other.close()
    resp = await cl.get("/healthz")
    assert resp.status == 200, "writable again: healthy without a restart"
    await ws_a.send_json({"message": "while locked", "client_id": "c-1"})  # the client's retry
    frame = await recv(ws_a)
    assert (frame["message"], frame["client_id"], frame["is_self"]) == ("while locked", "c-1", True)
    assert (await recv(ws_r))["message"] == "while locked"
    assert read_rows(config.db, "SELECT client_id FROM messages") == [("c-1",)]
    for ws in (ws_a, ws_r):
        await ws.close()
