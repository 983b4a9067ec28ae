"""Open-loop load generator: real WebSockets, timestamped messages, delivery accounting."""

import asyncio
import itertools
import os
import resource
import sys
import time
from array import array
from dataclasses import dataclass, field

import aiohttp
import orjson
from aiohttp import WSMsgType

from bench.procstat import cpu_seconds, rss_bytes
from bench.provision import Member
from bench.servers import Server
from bench.stats import latency_summary, per_thousand

RUNS = itertools.count(1)
WSClient = aiohttp.ClientWebSocketResponse


@dataclass
class RoomPlan:
    """One room: the members to connect (one socket each) and how many of them send."""

    room_id: int
    members: list[Member]
    senders: int


@dataclass
class Socket:
    """One open client socket and the message indices it has received."""

    ws: WSClient
    room: int
    seen: bytearray = field(default_factory=bytearray)


@dataclass
class Tally:
    """Counts shared by every receiver of one run."""

    received: int = 0
    duplicated: int = 0
    errors: int = 0
    closed: int = 0
    latencies_ms: array = field(default_factory=lambda: array("d"))


def cpu_self() -> float:
    """CPU seconds used by this generator process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_session() -> aiohttp.ClientSession:
    """A session without a connection cap, for many sockets to one host."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))


@dataclass
class Opened:
    """The sockets a connect phase opened and what the handshakes cost."""

    sockets: list[Socket]
    failures: int
    handshakes_per_s: float
    server_ms_per_handshake: float
    gen_cpu_pct: float

    def figures(self) -> dict[str, object]:
        """The handshake figures of a result line."""
        return {
            "connect_failures": self.failures,
            "handshakes_per_s": self.handshakes_per_s,
            "server_cpu_ms_per_handshake": self.server_ms_per_handshake,
            "gen_cpu_pct_handshakes": self.gen_cpu_pct,
        }


async def open_sockets(
    session: aiohttp.ClientSession, server: Server, rooms: list[RoomPlan], concurrency: int
) -> Opened:
    """Open one socket per planned member, `concurrency` handshakes at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(room_index: int, member: Member) -> Socket:
        url = f"{server.ws}/ws/chat/{rooms[room_index].room_id}/?token={member.token}"
        async with gate:
            ws = await session.ws_connect(
                url, decode_text=False, max_msg_size=0,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            )
        return Socket(ws, room_index)

    jobs = [one(r, m) for r, room in enumerate(rooms) for m in room.members]
    cpu0, gen0, wall0 = cpu_seconds(server.pid), cpu_self(), time.monotonic()
    results = await asyncio.gather(*jobs, return_exceptions=True)
    cpu1, gen1, wall1 = cpu_seconds(server.pid), cpu_self(), time.monotonic()
    sockets = [s for s in results if isinstance(s, Socket)]
    failures = [e for e in results if not isinstance(e, Socket)]
    if failures and not sockets:
        raise RuntimeError(f"no socket opened: {failures[0]!r}")
    return Opened(
        sockets, len(failures), round(len(sockets) / (wall1 - wall0), 1),
        round(1000 * (cpu1 - cpu0) / max(len(sockets), 1), 3),
        round(100 * (gen1 - gen0) / (wall1 - wall0), 1),
    )


async def close_sockets(sockets: list[Socket]) -> None:
    """Close every socket, all at once."""
    await asyncio.gather(*(s.ws.close() for s in sockets), return_exceptions=True)


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


def progress(text: str) -> None:
    """One progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
