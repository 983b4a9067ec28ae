"""History workload: a room with a million messages, page latency and start-up time."""

import asyncio
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import orjson

from bench.output import emit, progress
from bench.procstat import cpu_seconds
from bench.provision import Member, create_room, register
from bench.servers import Server, start, stop
from bench.stats import latency_summary

BATCH = 20_000


async def seed(server: Server) -> tuple[Member, int]:
    """Create a member, a room and one real message, the template for the bulk rows."""
    async with aiohttp.ClientSession() as session:
        (owner,) = await register(session, server.http, 1, "hist")
        room_id = await create_room(session, server.http, "history", owner, [owner])
        url = f"{server.ws}/ws/chat/{room_id}/?token={owner.token}"
        async with session.ws_connect(url) as ws:
            await ws.send_json({"action": "send_message", "message": "template"})
            async with asyncio.timeout(10):
                async for msg in ws:
                    if orjson.loads(msg.data).get("message") == "template":
                        break
    return owner, room_id


def template(db: sqlite3.Connection, table: str, room_id: int) -> dict[str, object]:
    """The newest row of `table` in the room, as a column -> value dict."""
    cur = db.execute(f"SELECT * FROM {table} WHERE room_id = ? ORDER BY seq DESC LIMIT 1", (room_id,))
    names = [c[0] for c in cur.description]
    return dict(zip(names, cur.fetchone()))


def clones(message: dict, event: dict, count: int) -> Iterator[tuple[tuple, tuple]]:
    """Message and event rows 2..count, each a copy of the template with new id, seq, text, time."""
    frame = orjson.loads(event["frame"])
    start = datetime.now(timezone.utc) - timedelta(seconds=count)
    for k in range(1, count):
        when = (start + timedelta(seconds=k)).isoformat()
        mid, seq, text = message["id"] + k, message["seq"] + k, f"history message {k}"
        row = {**message, "id": mid, "seq": seq, "content": text, "client_id": None,
               "created_at": when, "updated_at": when}
        body = orjson.dumps({**frame, "id": mid, "seq": seq, "message": text, "created_at": when})
        ev = {**event, "seq": seq, "message_id": mid, "frame": body.decode(), "created_at": when}
        yield tuple(row.values()), tuple(ev.values())


def bulk_insert(path: Path, room_id: int, count: int) -> int:
    """Fill the room up to `count` messages (and events) with sqlite3; return the oldest id."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    message, event = template(db, "messages", room_id), template(db, "events", room_id)
    m_sql = f"INSERT INTO messages VALUES ({', '.join('?' * len(message))})"
    e_sql = f"INSERT INTO events VALUES ({', '.join('?' * len(event))})"
    db.execute("BEGIN")
    rows = clones(message, event, count)
    while batch := list(islice(rows, BATCH)):
        db.executemany(m_sql, [b[0] for b in batch])
        db.executemany(e_sql, [b[1] for b in batch])
    db.execute("UPDATE rooms SET last_seq = ? WHERE id = ?", (message["seq"] + count - 1, room_id))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return int(message["id"])


async def timed_start(workdir: Path) -> tuple[Server, float]:
    """Start chatserver and return it with the seconds until it logged that it serves."""
    began = time.perf_counter()
    server = await start("server", workdir)
    return server, round(time.perf_counter() - began, 3)


async def pages(server: Server, token: str, query: str, befores: list[int]) -> dict[str, object]:
    """GET one page per `before` id (or the newest page when None); latency and server CPU."""
    url = f"{server.http}/api/chat/groups/{{}}/messages/"
    headers = {"Authorization": f"Token {token}"}
    latencies: list[float] = []
    sizes: set[int] = set()
    wrong = 0
    cpu0 = cpu_seconds(server.pid)
    async with aiohttp.ClientSession(headers=headers) as session:
        for before in befores:
            params = {"limit": "50", **({"before": str(before)} if before else {})}
            began = time.perf_counter()
            async with session.get(url.format(query), params=params) as resp:
                body = await resp.read()
            latencies.append((time.perf_counter() - began) * 1000)
            assert resp.status == 200, (resp.status, body[:200])
            page = orjson.loads(body)
            sizes.add(len(page))
            wrong += bool(before) and page[0]["id"] != before - 1
    cpu = cpu_seconds(server.pid) - cpu0
    return {**latency_summary(latencies), "server_cpu_ms_per_page": round(1000 * cpu / len(befores), 3),
            "page_sizes": sorted(sizes), "wrong_first_id": wrong}


async def history(count: int, requests: int) -> dict[str, object]:
    """Build a room of `count` messages, restart on it, and time pages at three depths."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        server, empty_start = await timed_start(workdir)
        try:
            owner, room_id = await seed(server)
        finally:
            await stop(server)
        progress(f"history: inserting {count} messages with sqlite3")
        began = time.perf_counter()
        oldest = await asyncio.to_thread(bulk_insert, workdir / "bench.db", room_id, count)
        db_mb = round((workdir / "bench.db").stat().st_size / 2**20, 1)
        progress(f"history: inserted in {time.perf_counter() - began:.1f}s ({db_mb} MB), restarting")
        server, full_start = await timed_start(workdir)
        try:
            rng = random.Random(5)
            depths = {
                "newest": [0] * requests,
                "middle": [oldest + count // 2 + rng.randrange(1000) for _ in range(requests)],
                "deep": [oldest + 51 + rng.randrange(1000) for _ in range(requests)],
            }
            figures = {}
            for name, befores in depths.items():
                figures[name] = await pages(server, owner.token, str(room_id), befores)
        finally:
            await stop(server)
    line = {"workload": "history", "target": "server", "messages": count, "requests": requests,
            "startup_empty_s": empty_start, "startup_full_s": full_start, "db_mb": db_mb, **figures,
            "loadavg_1m": round(os.getloadavg()[0], 2)}
    emit(line)
    return line
