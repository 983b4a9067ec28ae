"""The logs of a real server process: a line per request and per socket, and never a token."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import aiohttp
import pytest

from crash_support import REPO, server_command

READY = re.compile(r"Serving on (http://[^\s\"]+)")


async def _start(tmp_path: Path, log_format: str) -> tuple[asyncio.subprocess.Process, str, list[str]]:
    command, env = server_command(tmp_path, 0, CHAT_LOG_FORMAT=log_format, CHAT_LOG_LEVEL="info")
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []
    ready = READY.search(await _logged(proc, lines, READY.pattern, 30))
    return proc, ready.group(1), lines


async def _logged(proc: asyncio.subprocess.Process, lines: list[str], pattern: str, timeout: float = 10) -> str:
    """Read the server's log into lines until a line matches pattern; that line."""
    async with asyncio.timeout(timeout):
        while True:
            line = (await proc.stderr.readline()).decode()
            assert line, f"server exited before logging {pattern!r}:\n" + "".join(lines)
            lines.append(line)
            if re.search(pattern, line):
                return line


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_real_server_logs_each_request_and_socket_and_masks_tokens(tmp_path, log_format):
    proc, url, lines = await _start(tmp_path, log_format)
    try:
        async with aiohttp.ClientSession(url) as http:
            resp = await http.post("/api/user/register/", json={
                "email": "asha@example.org", "password": "correct horse", "first_name": "Asha"})
            token = (await resp.json())["token"]
            auth = {"Authorization": f"Token {token}"}
            resp = await http.post("/api/chat/create-group/", json={"name": "logs"}, headers=auth)
            room = (await resp.json())["room"]["id"]
            assert (await http.get(f"/api/user/me/?token={token}", headers=auth)).status == 200
            assert (await http.get(f"/ws/chat/{room}/?token=not-{token}")).status == 401
            async with http.ws_connect(f"/ws/chat/{room}/?token={token}&after_seq=0") as ws:
                assert (await ws.receive_json(timeout=10))["action"] == "resumed"
                await ws.send_json({"message": "hello"})
                assert (await ws.receive_json(timeout=10))["message"] == "hello"
        await _logged(proc, lines, "ws close")  # the server logs the socket's end once it has seen the close
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    log = "".join(lines) + rest.decode()

    assert token not in log
    assert re.search(r"token=(?!\*\*\*)", log, re.IGNORECASE) is None, log
    assert "token=***" in log

    if log_format == "json":
        entries = [json.loads(line) for line in log.splitlines()]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", e["time"]) for e in entries)
        access = [e["http"] for e in entries if e["logger"] == "aiohttp.access"]
        messages = [e["message"] for e in entries]
    else:
        access = [{"status": int(m.group(2)), "method": m.group(1)} for m in re.finditer(
            r"aiohttp\.access: (\w+) \S+ (\d+) ", log)]
        messages = log.splitlines()
    # register, create-group, me, the refused upgrade, the socket: one line each
    assert sorted((a["method"], a["status"]) for a in access) == [
        ("GET", 101), ("GET", 200), ("GET", 401), ("POST", 201), ("POST", 201)]
    opened = [m for m in messages if "ws open" in m]
    closed = [m for m in messages if "ws close" in m]
    assert len(opened) == 1 and f"room={room}" in opened[0] and "after_seq=0" in opened[0]
    assert len(closed) == 1 and "code=1000" in closed[0]
    assert "frames_in=1" in closed[0] and "frames_out=2" in closed[0]
