"""Open-loop load generator: real WebSockets, timestamped messages, delivery accounting."""

import asyncio
import itertools
import os
import time
from array import array
from dataclasses import dataclass, field

import orjson
from aiohttp import WSMsgType

from bench.procstat import cpu_seconds, cpu_self, rss_bytes
from bench.servers import Server
from bench.sockets import RoomPlan, Socket, WSClient
from bench.stats import latency_summary, per_thousand

RUNS = itertools.count(1)


@dataclass
class Tally:
    """Counts shared by every receiver of one run."""

    received: int = 0
    duplicated: int = 0
    errors: int = 0
    closed: int = 0
    latencies_ms: array = field(default_factory=lambda: array("d"))


async def receive(sock: Socket, tally: Tally, mark: str) -> None:
    """Account for every frame one socket receives until it closes."""
    seen = sock.seen
    async for msg in sock.ws:
        if msg.type is not WSMsgType.TEXT:
            continue
        now = time.monotonic_ns()
        frame = orjson.loads(msg.data)
        text = frame.get("message") if isinstance(frame, dict) else None
        if not isinstance(text, str) or not text.startswith(mark):
            if isinstance(frame, dict) and frame.get("action") == "error":
                tally.errors += 1
            continue
        _, index, sent_ns, _ = text.split(" ", 3)
        i = int(index)
        if seen[i]:
            tally.duplicated += 1
            continue
        seen[i] = 1
        tally.received += 1
        tally.latencies_ms.append((now - int(sent_ns)) / 1e6)
    tally.closed += 1


def frame_for(mark: str, index: int, due_ns: int, size: int) -> bytes:
    """The seed-protocol frame of message `index`, its text padded to `size` characters."""
    text = f"{mark}{index} {due_ns} x"
    text += "x" * max(0, size - len(text))
    return orjson.dumps({"action": "send_message", "message": text, "message_type": "text"})


async def send(ws: WSClient, mark: str, first: int, step: int, total: int, rate: float, t0: int,
               size: int, lag: list[float]) -> int:
    """Send messages first, first+step, ... on the schedule t0 + index/rate; return count sent."""
    sent = 0
    for index in range(first, total, step):
        due = t0 + int(index * 1e9 / rate)
        await asyncio.sleep(max(due - time.monotonic_ns(), 0) / 1e9)
        lag[0] = max(lag[0], (time.monotonic_ns() - due) / 1e9)
        try:
            await ws.send_frame(frame_for(mark, index, due, size), WSMsgType.TEXT)
        except ConnectionError:
            break
        sent += 1
    return sent


async def traffic(
    server: Server, rooms: list[RoomPlan], sockets: list[Socket], rate: float,
    duration: float, size: int, drain: float,
) -> dict[str, object]:
    """Drive `rate` messages/s for `duration` s through open sockets and account for them."""
    total = int(rate * duration)
    tally = Tally()
    by_room: dict[int, list[Socket]] = {}
    for sock in sockets:
        sock.seen = bytearray(total)
        by_room.setdefault(sock.room, []).append(sock)
    senders = [s for r, socks in by_room.items() for s in socks[: rooms[r].senders]]
    mark = f"bench{next(RUNS)} "  # a straggler of an earlier run on the same sockets is not counted
    receivers = [asyncio.create_task(receive(s, tally, mark)) for s in sockets]
    await asyncio.sleep(0.2)
    cpu0, gen0, wall0 = cpu_seconds(server.pid), cpu_self(), time.monotonic()
    t0 = time.monotonic_ns() + 50_000_000
    lag = [0.0]
    counts = await asyncio.gather(*(
        send(s.ws, mark, k, len(senders), total, rate, t0, size, lag)
        for k, s in enumerate(senders)
    ))
    expected = 0
    for k, s in enumerate(senders):
        expected += counts[k] * len(by_room[s.room])
    deadline = time.monotonic() + drain
    while tally.received < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    cpu1, gen1, wall1 = cpu_seconds(server.pid), cpu_self(), time.monotonic()
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    server_cpu = cpu1 - cpu0
    return {
        "rate": rate,
        "duration_s": duration,
        "sockets": len(sockets),
        "senders": len(senders),
        "sent": sum(counts),
        "expected": expected,
        "received": tally.received,
        "lost": expected - tally.received,
        "duplicated": tally.duplicated,
        "errors": tally.errors,
        "closed_by_server": tally.closed,
        **latency_summary(tally.latencies_ms),
        "server_cpu_s": round(server_cpu, 3),
        "cpu_s_per_1k_deliveries": per_thousand(server_cpu, tally.received),
        "cpu_s_per_1k_messages": per_thousand(server_cpu, sum(counts)),
        "server_cpu_pct": round(100 * server_cpu / (wall1 - wall0), 1),
        "server_rss_mb": round(rss_bytes(server.pid) / 2**20, 1),
        "gen_cpu_pct": round(100 * (gen1 - gen0) / (wall1 - wall0), 1),
        "send_lag_max_ms": round(lag[0] * 1000, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
