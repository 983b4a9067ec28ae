"""Idle workload: many authenticated sockets held open, memory per socket and handshake rate."""

import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.output import emit, progress
from bench.sockets import RoomPlan, client_session, close_sockets, open_sockets
from bench.procstat import cpu_seconds, rss_bytes
from bench.provision import Member, create_room, fake_members, register
from bench.servers import Server, start, stop
from bench.workloads import TARGETS

MB = 2**20


async def plan(server: Server, users: int, rooms: int, sockets: int) -> list[RoomPlan]:
    """Spread `sockets` over `rooms` rooms that all hold the same `users` users."""
    members: list[Member] = fake_members(users)
    room_ids = list(range(1, rooms + 1))
    if server.target == "server":
        async with aiohttp.ClientSession() as session:
            members = await register(session, server.http, users, "idle")
            room_ids = [
                await create_room(session, server.http, f"idle {r}", members[0], members)
                for r in range(rooms)
            ]
    per_room = sockets // rooms
    return [
        RoomPlan(room_id, [members[i % users] for i in range(per_room)], 0)
        for room_id in room_ids
    ]


async def measure(target: str, users: int, rooms: int, sockets: int, hold: float,
                  concurrency: int) -> dict[str, object]:
    """Open `sockets` idle sockets on a fresh `target` and report its memory and CPU."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        server = await start(target, Path(tmp))
        try:
            plans = await plan(server, users, rooms, sockets)
            await asyncio.sleep(0.5)
            empty = rss_bytes(server.pid)
            progress(f"idle {target}: opening {sockets} sockets")
            async with client_session() as session:
                opened = await open_sockets(session, server, plans, concurrency)
                progress(f"idle {target}: {len(opened.sockets)} open, holding {hold}s")
                cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()
                await asyncio.sleep(hold)
                cpu1, wall1 = cpu_seconds(server.pid), time.monotonic()
                full = rss_bytes(server.pid)
                await close_sockets(opened.sockets)
        finally:
            await stop(server)
    line = {
        "workload": "idle", "target": target, "users": users, "sockets": len(opened.sockets),
        **opened.figures(),
        "rss_empty_mb": round(empty / MB, 1), "rss_mb": round(full / MB, 1),
        "rss_per_socket_kb": round((full - empty) / max(len(opened.sockets), 1) / 1024, 2),
        "idle_cpu_pct": round(100 * (cpu1 - cpu0) / (wall1 - wall0), 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    emit(line)
    return line


async def idle(users: int, rooms: int, sockets: int, hold: float, concurrency: int,
               targets: tuple[str, ...] = TARGETS) -> list[dict[str, object]]:
    """Measure each target in turn on a fresh process."""
    return [await measure(t, users, rooms, sockets, hold, concurrency) for t in targets]
