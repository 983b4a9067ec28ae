"""Crash safety of the real process: SIGKILL mid-traffic loses nothing anyone saw; SIGTERM drains."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from typing import Any

import aiohttp
import orjson
import pytest

from conftest import read_rows, recv, silent
from crash_support import Member, RawSocket, provision

TRAFFIC_SECONDS = 1.5
WINDOW = 40  # unacknowledged sends per sender socket
BUDGET = 20_000  # most actions one sender makes
REACTIONS = ("Like", "Cool", "HaHa", "Heart")


class Client:
    """One member's socket in one room: records every frame; a sender keeps WINDOW sends unacknowledged at most."""

    def __init__(self, name: str, member: Member, room_id: int) -> None:
        self.name, self.member, self.room_id = name, member, room_id
        self.frames: list[dict[str, Any]] = []
        self.pending: dict[str, str] = {}  # client_id -> text, sent and not yet acknowledged
        self.acked: dict[str, dict[str, Any]] = {}
        self.window = asyncio.Semaphore(WINDOW)
        self.sock: RawSocket | None = None

    async def open(self) -> None:
        self.sock = await RawSocket.open(
            f"{self.member.base}/ws/chat/{self.room_id}/?token={self.member.token}", self.record)

    def record(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        client_id = frame.get("client_id")
        if client_id in self.pending and "id" in frame:
            del self.pending[client_id]
            self.acked[client_id] = frame
            self.window.release()

    async def send(self, rng: random.Random) -> None:
        """Send until cancelled or the socket closes: mostly messages, some edits and reactions."""
        mine: list[int] = []
        for n in range(BUDGET):
            await asyncio.sleep(0)
            mine.extend(f["id"] for f in list(self.acked.values())[len(mine):])
            if mine and n % 7 == 3:
                frame = {"action": "react_message", "message_id": rng.choice(mine), "reaction": rng.choice(REACTIONS)}
            elif mine and n % 11 == 5:
                frame = {"action": "edit_message", "message_id": mine[-1], "new_content": f"{self.name} edit {n}"}
            else:
                await self.window.acquire()
                frame = {"message": f"{self.name} says {n} " + "x" * rng.randrange(80), "client_id": f"{self.name}-{n}"}
                self.pending[frame["client_id"]] = frame["message"]
            if not self.sock.send(frame):
                self.pending.pop(frame.get("client_id"), None)
                return

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if "seq" in f]


async def open_clients(members: list[Member], rooms: list[int], senders: list[tuple[int, int]],
                       receivers: list[tuple[int, int]]) -> tuple[list[Client], list[Client]]:
    """(member index, room index) pairs -> open sockets, senders first."""
    made = []
    for prefix, pairs in (("s", senders), ("r", receivers)):
        clients = [Client(f"{prefix}{n}", members[m], rooms[r]) for n, (m, r) in enumerate(pairs)]
        for client in clients:
            await client.open()
        made.append(clients)
    return made[0], made[1]


async def traffic(senders: list[Client], seconds: float) -> list[asyncio.Task]:
    """Start every sender; returns their tasks once `seconds` of traffic have passed."""
    rng = random.Random(4)
    tasks = [asyncio.create_task(s.send(random.Random(rng.random()))) for s in senders]
    await asyncio.sleep(seconds)
    return tasks


async def finish(clients: list[Client], senders: list[asyncio.Task], timeout: float = 15) -> None:
    """Wait (bounded) for every connection to end, then stop the senders."""
    try:
        await asyncio.wait_for(asyncio.gather(*(c.sock.ended for c in clients)), timeout)
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for c in clients:
            c.sock.close()


def normal(frame: dict[str, Any]) -> dict[str, Any]:
    """A frame as every member sees it: without the sender's own markers."""
    return {k: v for k, v in frame.items() if k not in ("is_self", "client_id")}


def logged_events(db: str, room_id: int) -> dict[int, dict[str, Any]]:
    return {seq: normal(orjson.loads(frame)) for seq, frame in
            read_rows(db, "SELECT seq, frame FROM events WHERE room_id = ? ORDER BY seq", (room_id,))}


def assert_sound(db: str, rooms: list[int]) -> None:
    """integrity_check passes; each room's log is 1..last_seq without holes; every message has its event."""
    assert read_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert read_rows(db, "PRAGMA foreign_key_check") == []
    for room_id in rooms:
        (last_seq,), = read_rows(db, "SELECT last_seq FROM rooms WHERE id = ?", (room_id,))
        seqs = [s for (s,) in read_rows(db, "SELECT seq FROM events WHERE room_id = ? ORDER BY seq", (room_id,))]
        assert seqs == list(range(1, last_seq + 1))
    orphans = read_rows(db, "SELECT m.id FROM messages m LEFT JOIN events e ON e.room_id = m.room_id"
                        " AND e.seq = m.seq AND e.kind = 'created' AND e.message_id = m.id WHERE e.seq IS NULL")
    assert orphans == []


def assert_all_logged(db: str, clients: list[Client]) -> None:
    """Every frame with a seq that any client saw is the room's logged event of that seq, to the letter."""
    for c in clients:
        log = logged_events(db, c.room_id)
        assert [normal(f) for f in c.frames if "seq" in f] == [log.get(s) for s in c.seqs()], c.name


async def history(member: Member, room_id: int) -> dict[int, dict[str, Any]]:
    """The room's whole history through REST, paged with before=."""
    found: dict[int, dict[str, Any]] = {}
    before = ""
    for _ in range(1000):
        resp = await member.http.get(f"{member.base}/api/chat/groups/{room_id}/messages/?limit=200{before}",
                                     headers=member.auth)
        assert resp.status == 200, await resp.text()
        page = await resp.json()
        if not page:
            return found
        found.update((m["id"], m) for m in page)
        before = f"&before={page[-1]['id']}"
    raise AssertionError("history paging did not end")


async def resume_all(clients: list[Client], db: str) -> None:
    """Each client reconnects with after_seq = the last seq it saw and gets exactly the rest, once."""
    for c in clients:
        log = logged_events(db, c.room_id)
        last = max(log)
        after = c.seqs()[-1] if c.seqs() else 0
        ws = await c.member.socket(c.room_id, f"&after_seq={after}")
        try:
            head = await recv(ws, 5)
            assert head == {"action": "resumed", "after_seq": after, "last_seq": last, "count": last - after}
            replayed = [await recv(ws, 5) for _ in range(head["count"])]
            assert [f["seq"] for f in replayed] == list(range(after + 1, last + 1))
            assert [normal(f) for f in replayed] == [log[f["seq"]] for f in replayed]
            assert await silent(ws, 0.2)
        finally:
            await ws.close()


async def retry_unacknowledged(senders: list[Client]) -> None:
    """Each sender sends again, with the same client_id, every message it saw no acknowledgement for."""
    for s in senders:
        ws = await s.member.socket(s.room_id)
        try:
            for client_id, text in s.pending.items():
                await ws.send_json({"message": text, "client_id": client_id})
            waiting = set(s.pending)
            while waiting:
                frame = await recv(ws, 5)
                waiting.discard(frame.get("client_id") if "id" in frame else None)
        finally:
            await ws.close()


async def test_sigkill_mid_traffic_loses_nothing_anyone_saw(server_process):
    base = await server_process.start()
    async with aiohttp.ClientSession() as http:
        members, rooms = await provision(http, base, users=6, rooms=2)
        senders, receivers = await open_clients(members, rooms, [(0, 0), (1, 0), (2, 0), (3, 1)],
                                                [(4, 0), (5, 0), (5, 1)])
        clients = senders + receivers
        tasks = await traffic(senders, TRAFFIC_SECONDS)
        server_process.signal(signal.SIGKILL)
        await finish(clients, tasks)
        assert await server_process.exited(5) == -signal.SIGKILL

        in_flight = {cid for s in senders for cid in s.pending}
        acked = {cid for s in senders for cid in s.acked}
        assert len(acked) > 100, "too little traffic to prove anything"
        for c in clients:
            assert not [f for f in c.frames if f.get("action") == "error"], c.name
            # A killed process sends no close frame; a reader that fell behind was cut off (4008) and resumes too.
            assert c.sock.close_code in (None, 4008), c.name
            assert c.seqs() == list(range(1, len(c.seqs()) + 1)), f"{c.name} saw a gap live"

        base = await server_process.start()
        for m in members:
            m.base = base
        assert_sound(server_process.db, rooms)
        assert_all_logged(server_process.db, clients)
        for room_id in rooms:
            stored = await history(members[0], room_id)
            for frame in (f for c in clients if c.room_id == room_id for f in c.frames
                          if "message" in f and "action" not in f):
                kept = stored[frame["id"]]
                assert (kept["seq"], kept["sender"]["id"]) == (frame["seq"], frame["sender"]["id"])
        committed = {cid for (cid,) in read_rows(server_process.db, "SELECT client_id FROM messages WHERE client_id IS NOT NULL")}
        assert acked <= committed
        await resume_all(clients, server_process.db)
        await retry_unacknowledged(senders)
        stored = dict(read_rows(server_process.db, "SELECT client_id, count(*) FROM messages WHERE client_id IS NOT NULL"
                                       " GROUP BY client_id"))
        assert {cid: stored.get(cid) for cid in in_flight} == {cid: 1 for cid in in_flight}
        print(f"\nSIGKILL: {sum(len(c.frames) for c in clients)} frames seen, {len(acked)} sends acknowledged, "
              f"{len(in_flight)} in flight ({len(committed & in_flight)} of them committed before the kill), "
              f"all {len(in_flight)} stored once after their retry")
        server_process.signal(signal.SIGTERM)
        assert await server_process.exited(15) == 0


async def test_sigterm_stops_accepting_closes_sockets_with_1001_keeps_every_ack_and_exits_0(server_process):
    base = await server_process.start()
    async with aiohttp.ClientSession() as http:
        members, rooms = await provision(http, base, users=4, rooms=1)
        senders, receivers = await open_clients(members, rooms, [(0, 0), (1, 0), (2, 0)], [(3, 0)])
        clients = senders + receivers
        tasks = await traffic(senders, 0.7)
        stopped = time.monotonic()
        server_process.signal(signal.SIGTERM)
        deadline = stopped + 10
        while all(c.sock.close_code is None for c in clients):
            assert time.monotonic() < deadline, "no socket was closed"
            await asyncio.sleep(0.005)
        alive = server_process.alive()
        with pytest.raises(OSError):  # the listener is closed before the sockets are
            await asyncio.open_connection(*base.removeprefix("http://").rsplit(":", 1))
        await finish(clients, tasks)
        assert await server_process.exited(10) == 0
        took = time.monotonic() - stopped

    # Every socket gets 1001, the ones still sending when the server stopped included.
    for c in clients:
        assert c.sock.close_code == 1001, c.name
    for c in clients:
        assert not [f for f in c.frames if f.get("action") == "error" and f.get("code") != "unavailable"], c.name
    acked = {cid: (f["id"], f["seq"]) for s in senders for cid, f in s.acked.items()}
    assert len(acked) > 50, "too little traffic to prove anything"
    stored = {cid: (i, seq) for cid, i, seq in read_rows(server_process.db, "SELECT client_id, id, seq FROM messages")}
    assert {cid: stored.get(cid) for cid in acked} == acked
    assert_all_logged(server_process.db, clients)
    assert_sound(server_process.db, rooms)
    assert "Traceback" not in server_process.log()
    in_flight = {cid for s in senders for cid in s.pending}
    print(f"\nSIGTERM: {len(acked)} acknowledged sends all stored, {len(in_flight)} unacknowledged "
          f"({len(in_flight & set(stored))} of them stored), listener refused while alive={alive}, "
          f"exit 0 after {took:.2f}s")
