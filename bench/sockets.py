"""Client sockets of a run: the rooms to join, opening them all, closing them all."""

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from bench.procstat import cpu_seconds, cpu_self
from bench.provision import Member
from bench.servers import Server

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


class Streams:
    """One user stream (/ws/user/) per distinct member, counting the frames they are told."""

    def __init__(self, sockets: list[WSClient]) -> None:
        self.sockets = sockets
        self.frames = 0
        self.readers = [asyncio.create_task(self._count(ws)) for ws in sockets]

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, server: Server, rooms: list[RoomPlan]) -> "Streams":
        tokens = sorted({m.token for room in rooms for m in room.members})
        return cls(list(await asyncio.gather(*(
            session.ws_connect(f"{server.ws}/ws/user/?token={token}", max_msg_size=0) for token in tokens))))

    async def _count(self, ws: WSClient) -> None:
        async for _ in ws:
            self.frames += 1

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def close_sockets(sockets: list[Socket]) -> None:
    """Close every socket, all at once."""
    await asyncio.gather(*(s.ws.close() for s in sockets), return_exceptions=True)
