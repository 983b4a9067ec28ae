"""The search benchmark's database: users and rooms through the API, messages written with sqlite3."""

import asyncio
import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import aiohttp

from bench.history import seed
from bench.output import progress
from bench.provision import create_room, register
from bench.search_corpus import sentence
from bench.servers import start, stop

ROOMS, SEARCHER_ROOMS, USERS, BATCH = 500, 50, 10, 50_000
OLD, NEW = "zqxoldestmark", "zqxnewestmark"  # in the searcher's oldest and newest message


async def provision(workdir: Path) -> dict[str, object]:
    """A server on an empty file: USERS users, ROOMS rooms; the searcher is in SEARCHER_ROOMS of them."""
    server = await start("server", workdir)
    try:
        owner, first_room = await seed(server)  # the searcher, with a template message
        async with aiohttp.ClientSession() as session:
            others = await register(session, server.http, USERS - 1, "search")
            rooms = [first_room]
            for i in range(1, ROOMS):
                lead, second = others[i % len(others)], others[(i + 1) % len(others)]
                members = [lead, second] + ([owner] if i < SEARCHER_ROOMS else [])
                rooms.append(await create_room(session, server.http, f"room {i}", lead, members))
    finally:
        await stop(server)
    return {"token": owner.token, "searcher": owner.user_id, "rooms": rooms,
            "senders": [owner.user_id] + [m.user_id for m in others]}


def rows(template: dict, plan: dict, count: int, rng: random.Random) -> Iterator[tuple]:
    """`count` message rows after the template, over a year, in random rooms, with chat text."""
    rooms, senders = plan["rooms"], plan["senders"]
    seqs = {room: 1 for room in rooms}
    start = datetime.now(timezone.utc) - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    for k in range(1, count + 1):
        room = rooms[0] if k in (1, count) else rng.choice(rooms)
        seqs[room] += 1
        when = (start + step * k).isoformat()
        text = OLD if k == 1 else NEW if k == count else sentence(rng)
        yield tuple({**template, "id": template["id"] + k, "room_id": room, "sender_id": rng.choice(senders),
                     "content": text, "client_id": None, "seq": seqs[room],
                     "created_at": when, "updated_at": when}.values())
    plan["last_seq"] = seqs


def bulk_insert(path: Path, plan: dict, count: int) -> None:
    """Write `count` messages after the template with executemany in big transactions."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    cur = db.execute("SELECT * FROM messages ORDER BY id DESC LIMIT 1")
    template = dict(zip([c[0] for c in cur.description], cur.fetchone()))
    db.execute("DELETE FROM messages WHERE id = ?", (template["id"],))  # indexed already; not twice
    sql = f"INSERT INTO messages VALUES ({', '.join('?' * len(template))})"
    made = rows(template, plan, count, random.Random(16))
    while batch := list(islice(made, BATCH)):
        db.execute("BEGIN")
        db.executemany(sql, batch)
        db.execute("COMMIT")
    db.execute("BEGIN")
    db.executemany("UPDATE rooms SET last_seq = max(last_seq, ?) WHERE id = ?",
                   [(seq, room) for room, seq in plan.pop("last_seq").items()])
    # As the migration to schema 8 leaves an existing file: everything up to the newest message is
    # left for the server's backfill (newest first, in the background) to index.
    db.execute("UPDATE high_water SET value = (SELECT max(id) FROM messages) WHERE name = 'search_backfill'")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


async def build(folder: Path, count: int) -> tuple[Path, dict]:
    """The cached database of `count` messages under folder (built on the first run) and its plan."""
    workdir = folder / f"search-{count}"
    ready = workdir / "plan.json"
    if ready.exists():
        return workdir, json.loads(ready.read_text())
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "bench.db").unlink(missing_ok=True)
    progress(f"search: provisioning {ROOMS} rooms")
    plan = await provision(workdir)
    progress(f"search: writing {count} messages with sqlite3")
    await asyncio.to_thread(bulk_insert, workdir / "bench.db", plan, count)
    ready.write_text(json.dumps(plan))
    return workdir, plan
