"""Writes that fail or are undone: ids never reused, refused batches answered, health while writes fail."""

from __future__ import annotations

import sqlite3

from conftest import recv


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
    conn = sqlite3.connect(config.db)
    try:
        assert conn.execute("SELECT value FROM high_water WHERE name = 'message_id'").fetchone()[0] > secret_id
    finally:
        conn.close()


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
    conn = sqlite3.connect(config.db)
    conn.executescript("DROP TABLE high_water; PRAGMA user_version = 1;")  # as version 1 left it
    conn.close()

    second = await make_client(config)
    conn = sqlite3.connect(config.db)
    try:
        assert conn.execute("SELECT value FROM high_water").fetchall() == [(last_id,)]
    finally:
        conn.close()
    ws = await second.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await ws.send_json({"message": "after the upgrade"})
    assert (await recv(ws))["id"] == last_id + 1
    await ws.close()
