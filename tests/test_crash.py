"""Crash safety of the real process: SIGKILL mid-traffic loses nothing anyone saw; SIGTERM drains."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from conftest import recv, silent

REPO = Path(__file__).resolve().parent.parent
READY = re.compile(r"Serving on (http://\S+)")
START_TIMEOUT = 20.0
TRAFFIC_SECONDS = 1.5
WINDOW = 40  # unacknowledged sends per sender socket
BUDGET = 20_000  # most actions one sender makes
REACTIONS = ("Like", "Cool", "HaHa", "Heart")


class Server:
    """`python run.py` on one database file, in a subprocess; its log goes to a file."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = str(tmp / "chat.db")
        self.runs = itertools.count(1)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / "server.log"

    async def start(self) -> str:
        """Start the server and wait for its `Serving on` line; returns its base URL."""
        self.log_path = self.tmp / f"server-{next(self.runs)}.log"
        env = {**os.environ, "CHAT_SCRYPT_N": "1024", "CHAT_RATE_LIMIT": "0", "CHAT_LOG_LEVEL": "info"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "run.py", "--host", "127.0.0.1", "--port", "0", "--db", self.db,
                 "--media-dir", str(self.tmp / "media")],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = READY.search(self.log())
            if found:
                return found.group(1)
            assert self.proc.poll() is None, f"server exited early:\n{self.log()}"
            await asyncio.sleep(0.05)
        raise AssertionError(f"server did not start in {START_TIMEOUT}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        assert self.proc is not None and self.proc.poll() is None, "server is not running"
        self.proc.send_signal(sig)

    async def exited(self, timeout: float) -> int:
        """Wait (bounded) for the process to exit; returns its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, f"server still running after {timeout}s:\n{self.log()}"
            await asyncio.sleep(0.02)
        return self.proc.returncode

    def kill(self) -> None:
        """Make sure no process is left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path)
    try:
        yield srv
    finally:
        srv.kill()


class Member:
    """A registered user with a session to one server."""

    def __init__(self, http: aiohttp.ClientSession, base: str, data: dict[str, Any]) -> None:
        self.http, self.base = http, base
        self.id, self.token = data["user"]["id"], data["token"]
        self.auth = {"Authorization": f"Token {self.token}"}

    async def socket(self, room_id: int, query: str = "") -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(f"{self.base}/ws/chat/{room_id}/?token={self.token}{query}",
                                          timeout=aiohttp.ClientWSTimeout(ws_close=5))


async def provision(http: aiohttp.ClientSession, base: str, users: int,
                    rooms: int) -> tuple[list[Member], list[int]]:
    """Users and rooms that all of them belong to, through REST."""
    members = []
    for n in range(users):
        resp = await http.post(f"{base}/api/user/register/", json={
            "email": f"crash{n}@example.org", "password": "correct horse", "first_name": f"U{n}"})
        assert resp.status == 201, await resp.text()
        members.append(Member(http, base, await resp.json()))
    room_ids = []
    for n in range(rooms):
        resp = await http.post(f"{base}/api/chat/create-group/", headers=members[0].auth,
                               json={"name": f"crash-{n}", "members": [m.id for m in members[1:]]})
        assert resp.status == 201, await resp.text()
        room_ids.append((await resp.json())["room"]["id"])
    return members, room_ids


class Client:
    """One open socket that records every frame; as a sender it also sends, WINDOW unacknowledged at most."""

    def __init__(self, name: str, member: Member, room_id: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.name, self.member, self.room_id, self.ws = name, member, room_id, ws
        self.frames: list[dict[str, Any]] = []
        self.pending: dict[str, str] = {}  # client_id -> text, sent and not yet acknowledged
        self.acked: dict[str, dict[str, Any]] = {}
        self.window = asyncio.Semaphore(WINDOW)
        self.close: tuple[aiohttp.WSMsgType, Any] | None = None
        self.closing = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        """Record frames until the socket ends; an acknowledgement frees a window slot."""
        while True:
            msg = await self.ws.receive()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                self.close = (msg.type, msg.data)
                self.closing.set()
                return
            frame = orjson.loads(msg.data)
            self.frames.append(frame)
            client_id = frame.get("client_id")
            if client_id in self.pending and "id" in frame:
                self.pending.pop(client_id)
                self.acked[client_id] = frame
                self.window.release()

    async def send(self, rng: random.Random) -> None:
        """Send until cancelled or the socket fails: mostly messages, some edits and reactions."""
        mine: list[int] = []
        try:
            for n in range(BUDGET):
                mine.extend(f["id"] for f in list(self.acked.values())[len(mine):])
                if mine and n % 7 == 3:
                    await self.ws.send_json({"action": "react_message", "message_id": rng.choice(mine),
                                             "reaction": rng.choice(REACTIONS)})
                    continue
                if mine and n % 11 == 5:
                    await self.ws.send_json({"action": "edit_message", "message_id": mine[-1],
                                             "new_content": f"{self.name} edit {n}"})
                    continue
                await self.window.acquire()
                client_id, text = f"{self.name}-{n}", f"{self.name} says {n} " + "x" * rng.randrange(80)
                self.pending[client_id] = text
                await self.ws.send_json({"message": text, "client_id": client_id})
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            return  # the server went away under us

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if "seq" in f]


async def open_clients(members: list[Member], rooms: list[int], senders: list[tuple[int, int]],
                       receivers: list[tuple[int, int]]) -> tuple[list[Client], list[Client]]:
    """(member index, room index) pairs -> open sockets."""
    async def make(prefix: str, pairs: list[tuple[int, int]]) -> list[Client]:
        return [Client(f"{prefix}{n}", members[m], rooms[r], await members[m].socket(rooms[r]))
                for n, (m, r) in enumerate(pairs)]
    return await make("s", senders), await make("r", receivers)


def normal(frame: dict[str, Any]) -> dict[str, Any]:
    """A frame as every member sees it: without the sender's own markers."""
    return {k: v for k, v in frame.items() if k not in ("is_self", "client_id")}


def query(db: str, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def logged_events(db: str, room_id: int) -> dict[int, dict[str, Any]]:
    return {seq: normal(orjson.loads(frame)) for seq, frame in
            query(db, "SELECT seq, frame FROM events WHERE room_id = ? ORDER BY seq", (room_id,))}


def assert_sound(db: str, rooms: list[int]) -> None:
    """integrity_check passes; each room's log is 1..last_seq without holes; every message has its event."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    for room_id in rooms:
        (last_seq,), = query(db, "SELECT last_seq FROM rooms WHERE id = ?", (room_id,))
        seqs = [s for (s,) in query(db, "SELECT seq FROM events WHERE room_id = ? ORDER BY seq", (room_id,))]
        assert seqs == list(range(1, last_seq + 1))
    orphans = query(db, "SELECT m.id FROM messages m LEFT JOIN events e ON e.room_id = m.room_id"
                        " AND e.seq = m.seq AND e.kind = 'created' AND e.message_id = m.id WHERE e.seq IS NULL")
    assert orphans == []


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


async def traffic(senders: list[Client], receivers: list[Client], seconds: float) -> list[asyncio.Task]:
    """Start every reader and sender; return the sender tasks once `seconds` of traffic have passed."""
    for client in senders + receivers:
        client.reader = asyncio.create_task(client.read())
    rng = random.Random(4)
    tasks = [asyncio.create_task(s.send(random.Random(rng.random()))) for s in senders]
    await asyncio.sleep(seconds)
    return tasks


async def finish(clients: list[Client], senders: list[asyncio.Task], timeout: float = 15) -> None:
    """Wait (bounded) for every socket to end, then stop the senders."""
    try:
        await asyncio.wait_for(asyncio.gather(*(c.reader for c in clients)), timeout)
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for c in clients:
            await c.ws.close()


async def test_sigkill_mid_traffic_loses_nothing_anyone_saw(server):
    base = await server.start()
    async with aiohttp.ClientSession() as http:
        members, rooms = await provision(http, base, users=6, rooms=2)
        senders, receivers = await open_clients(members, rooms, [(0, 0), (1, 0), (2, 0), (3, 1)],
                                                [(4, 0), (5, 0), (5, 1)])
        clients = senders + receivers
        tasks = await traffic(senders, receivers, TRAFFIC_SECONDS)
        server.signal(signal.SIGKILL)
        await finish(clients, tasks)
        assert await server.exited(5) == -signal.SIGKILL

        in_flight = {cid: s for s in senders for cid in s.pending}
        seen = sum(len(c.frames) for c in clients)
        assert sum(len(s.acked) for s in senders) > 100, "too little traffic to prove anything"
        for c in clients:
            assert not [f for f in c.frames if f.get("action") == "error"], c.name
            assert c.close[0] in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR), c.close
            assert c.seqs() == list(range(1, len(c.seqs()) + 1)), f"{c.name} saw a gap live"

        base = await server.start()
        for m in members:
            m.base = base
        assert_sound(server.db, rooms)
        for room_id in rooms:
            stored = await history(members[0], room_id)
            log = logged_events(server.db, room_id)
            for c in (c for c in clients if c.room_id == room_id):
                for frame in c.frames:
                    assert normal(frame) == log[frame["seq"]], f"{c.name} saw a frame the log lacks"
                    if "message" in frame:
                        kept = stored[frame["id"]]
                        assert (kept["seq"], kept["sender"]["id"]) == (frame["seq"], frame["sender"]["id"])
        committed = {cid for (cid,) in query(server.db, "SELECT client_id FROM messages WHERE client_id IS NOT NULL")}
        acked = {cid for s in senders for cid in s.acked}
        assert acked <= committed
        recovered = committed & set(in_flight)
        print(f"\nSIGKILL: {seen} frames seen, {len(acked)} sends acknowledged, {len(in_flight)} in flight, "
              f"{len(recovered)} of those committed")

        await resume_all(clients, server.db)
        server.signal(signal.SIGTERM)
        assert await server.exited(15) == 0


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
