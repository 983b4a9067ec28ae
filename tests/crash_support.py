"""The real server in a subprocess, and a minimal WebSocket client that keeps every byte it is sent."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import aiohttp
import orjson

REPO = Path(__file__).resolve().parent.parent
READY = re.compile(r"Serving on (http://\S+)")
START_TIMEOUT = 20.0


def server_command(workdir: Path, port: int, *args: str, **settings: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `python run.py` for a test: its database and media folder in workdir,
    fast password hashing, no rate limit, and more CHAT_* settings."""
    command = [sys.executable, str(REPO / "run.py"), "--host", "127.0.0.1", "--port", str(port),
               "--db", str(workdir / "chat.db"), "--media-dir", str(workdir / "media"), *args]
    return command, {**os.environ, "CHAT_SCRYPT_N": "1024", "CHAT_RATE_LIMIT": "0", **settings}


class Server:
    """`python run.py` on one database file, in a subprocess; each run logs to its own file."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = str(tmp / "chat.db")
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / "server.log"

    async def start(self, *args: str) -> str:
        """Start the server (with more command-line args) and wait for its `Serving on` line;
        returns its base URL."""
        self.runs += 1
        self.log_path = self.tmp / f"server-{self.runs}.log"
        command, env = server_command(self.tmp, 0, *args, CHAT_LOG_LEVEL="info")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
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

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def exited(self, timeout: float) -> int:
        """Wait (bounded) for the process to exit; returns its exit code."""
        deadline = time.monotonic() + timeout
        while self.alive():
            assert time.monotonic() < deadline, f"server still running after {timeout}s:\n{self.log()}"
            await asyncio.sleep(0.02)
        return self.proc.returncode

    def kill(self) -> None:
        """Leave no process behind."""
        if self.alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)


class Member:
    """A registered user of one server."""

    def __init__(self, http: aiohttp.ClientSession, base: str, data: dict[str, Any]) -> None:
        self.http, self.base = http, base
        self.id, self.token = data["user"]["id"], data["token"]
        self.auth = {"Authorization": f"Token {self.token}"}

    async def socket(self, room_id: int, query: str = "") -> aiohttp.ClientWebSocketResponse:
        """An aiohttp socket, for quiet exchanges such as a resume."""
        return await self.http.ws_connect(f"{self.base}/ws/chat/{room_id}/?token={self.token}{query}")


async def provision(http: aiohttp.ClientSession, base: str, users: int, rooms: int) -> tuple[list[Member], list[int]]:
    """Users, and rooms that all of them belong to, through REST."""
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


def _masked(opcode: int, payload: bytes) -> bytes:
    """One whole client frame (RFC 6455 5.2), masked as clients must."""
    key = os.urandom(4)
    n = len(payload)
    body = (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
    length = struct.pack("!B", 0x80 | n) if n < 126 else struct.pack("!BH", 0x80 | 126, n) if n < 65536 \
        else struct.pack("!BQ", 0x80 | 127, n)
    return struct.pack("!B", 0x80 | opcode) + length + key + body


class RawSocket(asyncio.Protocol):
    """A minimal WebSocket client that parses every byte the kernel hands it, even before a reset.

    aiohttp's client can lose a close frame that arrives while it is busy sending and has
    fallen behind reading; a test of close codes under load needs a client that cannot.
    """

    def __init__(self, on_frame: Callable[[dict[str, Any]], None]) -> None:
        loop = asyncio.get_running_loop()
        self.on_frame = on_frame
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.upgraded: asyncio.Future[None] = loop.create_future()
        self.ended: asyncio.Future[BaseException | None] = loop.create_future()
        self.close_code: int | None = None

    @classmethod
    async def open(cls, url: str, on_frame: Callable[[dict[str, Any]], None],
                   rcvbuf: int | None = None) -> "RawSocket":
        """Connect and upgrade; `rcvbuf` shrinks the kernel's receive buffer (a client that reads slowly)."""
        parts = urlsplit(url)
        sock = cls(on_frame)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, (parts.hostname, parts.port))
        await asyncio.get_running_loop().create_connection(lambda: sock, sock=raw)
        sock.transport.write(
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        await asyncio.wait_for(sock.upgraded, 5)
        return sock

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded.done():
            head, sep, self.buf = self.buf.partition(b"\r\n\r\n")
            if not sep:
                self.buf = head
                return
            assert head.startswith(b"HTTP/1.1 101"), head
            self.upgraded.set_result(None)
        while len(self.buf) >= 2:
            first, n, at = self.buf[0], self.buf[1] & 0x7F, 2
            if n >= 126:
                at = 4 if n == 126 else 10
                if len(self.buf) < at:
                    return
                n = int.from_bytes(self.buf[2:at], "big")
            if len(self.buf) < at + n:
                return
            payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
            assert first & 0x80, "the server fragments no frame"
            self._frame(first & 0x0F, payload)

    def _frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x1:
            self.on_frame(orjson.loads(payload))
        elif opcode == 0x8 and self.close_code is None:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self.transport.write(_masked(0x8, payload[:2]))
        elif opcode == 0x9:
            self.transport.write(_masked(0xA, payload))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"no upgrade: {exc}"))
        self.ended.set_result(exc)

    def send(self, frame: dict[str, Any]) -> bool:
        """Write one JSON text frame; False once the socket is closing."""
        if self.close_code is not None or self.transport.is_closing():
            return False
        self.transport.write(_masked(0x1, orjson.dumps(frame)))
        return True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()
