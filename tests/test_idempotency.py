"""Idempotent send: a retried client_id never makes a second message, even across a restart."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from chatserver.keys import METRICS
from conftest import drain, recv, silent


async def send(ws, text: str, client_id: str | None = None, **extra) -> None:
    frame = {"action": "send_message", "message": text, **extra}
    if client_id is not None:
        frame["client_id"] = client_id
    await ws.send_json(frame)


def stored(db_rows, room_id: int) -> list[tuple]:
    return db_rows("SELECT id, seq, client_id, content FROM messages WHERE room_id = ? ORDER BY id", (room_id,))


async def test_retry_answers_the_original_to_that_socket_only(member, connect, db_rows):
    asha, ravi, room, ws_r = member
    ws_a, ws_a2 = await connect(asha, room["id"]), await connect(asha, room["id"])
    await send(ws_a, "hello", "c-1")
    mine, other_device, theirs = await recv(ws_a), await recv(ws_a2), await recv(ws_r)
    assert mine["client_id"] == "c-1" and mine["is_self"] is True and other_device == mine
    assert "client_id" not in theirs and theirs["id"] == mine["id"] and theirs["seq"] == mine["seq"] == 1
    await send(ws_a, "hello again, retried", "c-1")
    assert await recv(ws_a) == mine
    assert await silent(ws_r) and await silent(ws_a2)
    await send(ws_a, "next")
    assert (await recv(ws_r))["seq"] == 2
    assert stored(db_rows, room["id"]) == [(mine["id"], 1, "c-1", "hello"), (mine["id"] + 1, 2, None, "next")]
    for ws in (ws_a, ws_a2):
        await ws.close()


async def test_retry_after_a_reconnect_gets_the_original(member, connect, db_rows):
    asha, ravi, room, ws_r = member
    ws = await connect(asha, room["id"])
    await send(ws, "sent before the network dropped", "offline-7")
    original = await recv(ws)
    await recv(ws_r)
    await ws.close()
    ws = await connect(asha, room["id"], "&after_seq=1")
    assert await recv(ws) == {"action": "resumed", "after_seq": 1, "last_seq": 1, "count": 0}
    await send(ws, "sent before the network dropped", "offline-7")
    assert await recv(ws) == original
    assert await silent(ws_r)
    assert len(stored(db_rows, room["id"])) == 1
    await ws.close()


async def test_identical_client_ids_in_one_batch_make_one_message(member, client, connect, db_rows):
    asha, ravi, room, ws_r = member
    ws = await connect(asha, room["id"])
    metrics = client.app[METRICS]
    batches = metrics.value("chat_write_batches_total")
    changes = metrics.value("chat_write_batch_changes_total")
    for _ in range(3):  # no await between the frames that lets the publisher run
        await send(ws, "double tap", "tap-1")
    first = await recv(ws)
    assert await recv(ws) == first and await recv(ws) == first
    assert first["client_id"] == "tap-1" and first["seq"] == 1
    assert "client_id" not in await recv(ws_r)
    assert await silent(ws_r)
    assert metrics.value("chat_write_batches_total") == batches + 1
    assert metrics.value("chat_write_batch_changes_total") == changes + 3
    assert metrics.value("chat_messages_committed_total") == 1
    assert stored(db_rows, room["id"]) == [(first["id"], 1, "tap-1", "double tap")]
    await ws.close()


async def test_two_devices_sending_the_same_client_id_make_one_message(member, connect, db_rows):
    asha, ravi, room, ws_r = member
    phone, laptop = await connect(asha, room["id"]), await connect(asha, room["id"])
    await send(phone, "from two places", "shared-1")
    await send(laptop, "from two places", "shared-1")
    assert (await recv(ws_r))["seq"] == 1 and await silent(ws_r)
    got = [await drain(phone), await drain(laptop)]
    assert sorted(map(len, got)) == [1, 2], "the first sender gets its copy, the retrier also its answer"
    assert all(f == got[0][0] and f["client_id"] == "shared-1" for frames in got for f in frames)
    assert len(stored(db_rows, room["id"])) == 1
    for ws in (phone, laptop):
        await ws.close()


async def test_client_ids_belong_to_one_sender_in_one_room(member, make_room, connect, db_rows):
    asha, ravi, room, ws_r = member
    ws_a = await connect(asha, room["id"])
    await send(ws_a, "asha's", "same")
    await recv(ws_a)
    await recv(ws_r)
    await send(ws_r, "ravi's own", "same")
    ravis = await recv(ws_r)
    assert ravis["message"] == "ravi's own" and ravis["seq"] == 2 and ravis["client_id"] == "same"
    assert "client_id" not in await recv(ws_a)
    other = await make_room(asha)
    ws_other = await connect(asha, other["id"])
    await send(ws_other, "elsewhere", "same")
    elsewhere = await recv(ws_other)
    assert elsewhere["room"] == other["id"] and elsewhere["message"] == "elsewhere" and elsewhere["seq"] == 1
    assert [r[2:] for r in stored(db_rows, room["id"])] == [("same", "asha's"), ("same", "ravi's own")]
    for ws in (ws_a, ws_other):
        await ws.close()


async def test_a_refused_send_does_not_use_up_its_client_id(member, make_room, connect, db_rows):
    asha, ravi, room, ws_r = member
    other = await make_room(asha)
    ws_other = await connect(asha, other["id"])
    await send(ws_other, "elsewhere")
    foreign = await recv(ws_other)
    ws = await connect(asha, room["id"])
    await send(ws, "a reply", "retry-me", parent_message=foreign["id"])
    error = await recv(ws)
    assert error["action"] == "error" and error["code"] == "not_found" and error["client_id"] == "retry-me"
    assert await silent(ws_r)
    await send(ws, "a plain message", "retry-me")
    sent = await recv(ws)
    assert sent["client_id"] == "retry-me" and sent["message"] == "a plain message"
    assert (await recv(ws_r))["id"] == sent["id"]
    assert [r[2:] for r in stored(db_rows, room["id"])] == [("retry-me", "a plain message")]
    for sock in (ws, ws_other):
        await sock.close()


async def test_other_members_never_see_client_id_live_replayed_or_over_rest(member, client, connect):
    asha, ravi, room, ws_r = member
    ws_a = await connect(asha, room["id"])
    for n in range(3):
        await send(ws_a, f"m{n}", f"id-{n}")
    live = [await recv(ws_r) for _ in range(3)]
    resumed = await connect(ravi, room["id"], "&after_seq=0")
    await recv(resumed)
    replay = [await recv(resumed) for _ in range(3)]
    events = (await (await client.get(f"/api/chat/groups/{room['id']}/events/", headers=ravi.auth)).json())["events"]
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=ravi.auth)).text()
    assert replay == live == events
    assert not any("client_id" in f for f in live) and "id-0" not in history
    for ws in (ws_a, resumed):
        await ws.close()


async def test_retry_after_a_restart_on_the_same_file(make_client, config, tmp_path, register, make_room):
    config = config.replace(db=str(tmp_path / "restart.db"))
    first = await make_client(config)
    asha, ravi = await register("Asha", cl=first), await register("Ravi", cl=first)
    room = await make_room(asha, ravi, cl=first)
    ws = await first.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await send(ws, "before the restart", "boot-1")
    original = await recv(ws)
    await ws.close()
    await first.close()

    second = await make_client(config)
    ws_r = await second.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    ws = await second.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    await send(ws, "before the restart (retried)", "boot-1")
    assert await recv(ws) == original
    assert await silent(ws_r)
    await send(ws, "after the restart", "boot-2")
    after = await recv(ws)
    assert (after["id"], after["seq"]) == (original["id"] + 1, original["seq"] + 1)
    assert "client_id" not in await recv(ws_r)
    with closing(sqlite3.connect(config.db)) as conn:
        rows = conn.execute("SELECT id, seq, client_id, content FROM messages ORDER BY id").fetchall()
    assert rows == [(original["id"], 1, "boot-1", "before the restart"),
                    (after["id"], 2, "boot-2", "after the restart")]
    for sock in (ws, ws_r):
        await sock.close()
