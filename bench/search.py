"""Search workload: a million messages in 500 rooms, a member of 50; latency of each kind of query."""

import asyncio
import os
import random
import sqlite3
import time
from pathlib import Path

import aiohttp
import orjson

from bench.output import emit, progress
from bench.procstat import cpu_seconds
from bench.search_corpus import queries
from bench.search_data import NEW, OLD, SEARCHER_ROOMS, build
from bench.servers import Server, start, stop
from bench.stats import latency_summary

PROBE_S = 0.5  # between probes of a backfill in progress: each costs the server two queries
TARGETS_MS = {"one_word": 50.0, "two_words": 50.0, "phrase": 50.0, "prefix": 50.0, "cjk_substring": 100.0}


def sizes(path: Path) -> dict[str, float]:
    """The database file and, within it, the pages of the full-text index tables, in MB."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        fts = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
        pages = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        db.close()
    index = sum(size for name, size in pages if any(name == f or name.startswith(f + "_") for f in fts))
    return {"db_mb": round(path.stat().st_size / 2**20, 2), "index_mb": round(index / 2**20, 2),
            "index_tables": len(fts)}


async def search(session: aiohttp.ClientSession, server: Server, q: str) -> tuple[float, dict]:
    """One search: its latency in ms and its answer."""
    began = time.perf_counter()
    async with session.get(f"{server.http}/api/chat/search/", params={"q": q}) as resp:
        body = await resp.read()
    took = (time.perf_counter() - began) * 1000
    assert resp.status == 200, (q, resp.status, body[:300])
    return took, orjson.loads(body)


async def indexed(session: aiohttp.ClientSession, server: Server, timeout: float) -> float:
    """Wait until the searcher's oldest and newest messages are both found; seconds waited."""
    began = time.monotonic()
    while True:
        found = [bool((await search(session, server, mark))[1]["results"]) for mark in (OLD, NEW)]
        if all(found):
            return round(time.monotonic() - began, 1)
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"the index did not reach both ends of history in {timeout} s")
        await asyncio.sleep(PROBE_S)


async def measure(session: aiohttp.ClientSession, server: Server, requests: int) -> dict[str, object]:
    """Latency, hits and server CPU per kind of query."""
    figures: dict[str, object] = {}
    for kind, texts in queries(random.Random(7), requests).items():
        await search(session, server, texts[0])  # warm the pages this kind reads
        latencies, hits = [], 0
        cpu0 = cpu_seconds(server.pid)
        for q in texts:
            took, answer = await search(session, server, q)
            latencies.append(took)
            hits += len(answer["results"])
        summary = latency_summary(latencies)
        figures[kind] = {**summary, "mean_hits": round(hits / len(texts), 1),
                         "server_cpu_ms": round(1000 * (cpu_seconds(server.pid) - cpu0) / len(texts), 3),
                         "target_p99_ms": TARGETS_MS[kind], "met": summary["p99_ms"] < TARGETS_MS[kind]}
    return figures


async def search_workload(folder: Path, count: int, requests: int, timeout: float) -> dict[str, object]:
    """Build (or reuse) the database, start the server on it, wait for its index, time the queries."""
    workdir, plan = await build(folder, count)
    before = sizes(workdir / "bench.db")
    began = time.perf_counter()
    server = await start("server", workdir, timeout=120.0)
    startup_s = round(time.perf_counter() - began, 3)
    headers = {"Authorization": f"Token {plan['token']}"}
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            progress("search: waiting for the index to reach both ends of history")
            waited = await indexed(session, server, timeout)
            progress(f"search: indexed after {waited} s; timing {requests} queries of each kind")
            figures = await measure(session, server, requests)
    finally:
        await stop(server)
    line = {"workload": "search", "target": "server", "messages": count, "rooms": len(plan["rooms"]),
            "searcher_rooms": SEARCHER_ROOMS, "requests": requests, "startup_s": startup_s, "index_wait_s": waited,
            "db_mb_before_index": before["db_mb"], **sizes(workdir / "bench.db"), **figures,
            "loadavg_1m": round(os.getloadavg()[0], 2)}
    emit(line)
    return line
