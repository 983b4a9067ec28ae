"""Messages stored before search existed: a migrated file starts at once and is indexed in the background."""

from __future__ import annotations

import sqlite3

import pytest

from chatserver.keys import SEARCH_BACKFILL
from chatserver.storage import search as storage_search
from conftest import recv
from older_files import as_version


@pytest.fixture
def config(config):
    """Small backfill steps, so that a few dozen messages take several."""
    return config.replace(rate_limit=0, search_backfill_batch=7)


async def found(client, user, q: str) -> list[int]:
    resp = await client.get("/api/chat/search/", params={"q": q, "limit": "100"}, headers=user.auth)
    assert resp.status == 200, await resp.text()
    return [hit["message"]["id"] for hit in (await resp.json())["results"]]


async def left_in_metrics(client) -> float:
    text = await (await client.get("/metrics")).text()
    return float(next(line.split()[1] for line in text.splitlines()
                      if line.startswith("chat_search_backfill_left ")))


async def test_an_upgraded_file_starts_at_once_and_its_old_messages_become_searchable(
        client, make_client, config, register, make_room, connect, checkpoint):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await connect(asha, room["id"])
    ids = []
    for i in range(40):
        await ws.send_json({"message": f"archive entry {i} café"})
        ids.append((await recv(ws))["id"])
    await ws.send_json({"action": "edit_message", "message_id": ids[0], "new_content": "archive rewritten"})
    await recv(ws)
    await ws.close()
    await client.close()
    with sqlite3.connect(config.db) as conn:
        as_version(conn, 7)  # the file as the server before search left it

    step = checkpoint(storage_search, "backfill_step", hold=True)
    first_step = step.arm()
    upgraded = await make_client(config)
    assert await first_step == ids[-8]  # the newest 7 indexed; held there, the server serves meanwhile
    assert await found(upgraded, asha, "archive") == ids[:-8:-1]
    assert await left_in_metrics(upgraded) > 0
    ws = await connect(asha, room["id"], cl=upgraded)
    await ws.send_json({"message": "archive entry new"})
    newest = (await recv(ws))["id"]
    await ws.send_json({"action": "edit_message", "message_id": ids[1], "new_content": "archive changed"})
    await recv(ws)
    await ws.send_json({"action": "delete_message", "message_id": ids[2]})
    await recv(ws)
    await ws.close()
    assert await found(upgraded, asha, "archive") == [newest, *ids[:-8:-1]]
    await upgraded.close()  # stopped mid-way: the next start carries on from the stored mark

    resumed = await make_client(config)
    await resumed.app[SEARCH_BACKFILL].done.wait()
    assert await found(resumed, asha, "archive") == [newest, *ids[:2:-1], ids[1], ids[0]]
    assert await found(resumed, asha, "cafe") == ids[:2:-1]
    assert await found(resumed, asha, "changed") == [ids[1]] and await found(resumed, asha, "rewritten") == [ids[0]]
    assert await left_in_metrics(resumed) == 0
    with sqlite3.connect(config.db) as conn:
        conn.execute("INSERT INTO search_words (search_words, rank) VALUES ('integrity-check', 0)")
        conn.execute("INSERT INTO search_grams (search_grams, rank) VALUES ('integrity-check', 0)")
