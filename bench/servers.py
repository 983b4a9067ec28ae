"""Start chatserver or the ceiling relay as a subprocess and wait until it serves."""

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
READY = "Serving on http://"
# Abuse limits lifted and cheap password hashing, so the bench measures the hot path.
BENCH_ENV = {
    "CHAT_RATE_LIMIT": "0",
    "CHAT_MAX_SOCKETS_PER_USER": "100000",
    "CHAT_SCRYPT_N": "1024",
    "CHAT_LOGIN_RATE": "0",
    "CHAT_REGISTER_RATE": "0",
    "CHAT_MAX_CONNECTIONS_PER_IP": "0",
}


@dataclass
class Server:
    """A running server subprocess: which target, where it listens, its log."""

    target: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        """Base URL for REST calls."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        """Base URL for WebSocket connections."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.proc.pid


def raise_nofile() -> None:
    """Raise this process's open-file limit to its hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chatserver_command(workdir: Path, port: int) -> list[str]:
    """Command line that starts chatserver on a database inside `workdir`."""
    return [
        sys.executable, str(REPO / "run.py"), "--host", "127.0.0.1", "--port", str(port),
        "--db", str(workdir / "bench.db"), "--media-dir", str(workdir / "media"),
    ]


def ceiling_command(port: int) -> list[str]:
    """Command line that starts the ceiling relay."""
    return [sys.executable, str(REPO / "bench" / "ceiling.py"), "--port", str(port)]


async def start(target: str, workdir: Path, timeout: float = 60.0,
                settings: dict[str, str] | None = None) -> Server:
    """Start `target` ("server" or "ceiling") and return once it logs that it serves.

    `settings` are CHAT_* variables for chatserver (default BENCH_ENV: abuse limits lifted)."""
    port = free_port()
    if target == "server":
        command = chatserver_command(workdir, port)
    else:
        command = ceiling_command(port)
    log = workdir / f"{target}-{port}.log"
    env = {**os.environ, **(BENCH_ENV if settings is None else settings), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=raise_nofile,
        )
    server = Server(target, proc, port, log)
    deadline = time.monotonic() + timeout
    while READY not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            await stop(server)
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{target} did not start ({command}):\n{tail}")
        await asyncio.sleep(0.02)
    return server


async def stop(server: Server, timeout: float = 15.0) -> int:
    """Stop the server with SIGTERM (SIGKILL after `timeout`) and return its exit code."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while server.proc.poll() is None:
        if time.monotonic() > deadline:
            server.proc.kill()
        await asyncio.sleep(0.02)
    return int(server.proc.returncode)
