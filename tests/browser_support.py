"""A live server in a subprocess, a cuttable TCP proxy, REST calls and page helpers for the browser tests."""

from __future__ import annotations

import collections
import json
import os
import re
import select
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crash_support import REPO, server_command

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the `browser_present` fixture
    expect = sync_playwright = None

CHROMIUM = os.environ.get("CHAT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
START_TIMEOUT = 30.0
TIMEOUT_MS = 10_000


def unavailable(reason: str) -> None:
    """Skips the test, except in CI (`CI=true`) where a missing browser must fail the run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """`python run.py` on a free port and a temporary database; its output kept for failures."""

    def __init__(self, workdir: Path, settings: dict[str, str] | None = None):
        self.workdir = workdir
        self.settings = settings or {}  # CHAT_* variables of this server beyond the test defaults
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.process: subprocess.Popen[str] | None = None
        self.reader: threading.Thread | None = None

    def start(self) -> None:
        command, env = server_command(self.workdir, self.port, PYTHONUNBUFFERED="1", **self.settings)
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        ready = threading.Event()
        self.reader = threading.Thread(target=self._read_output, args=(self.process, ready), daemon=True)
        self.reader.start()
        if not ready.wait(START_TIMEOUT) or self.process.poll() is not None:
            log = "".join(self.output)
            self.stop()
            pytest.fail(f"server did not start within {START_TIMEOUT:.0f}s:\n{log}")

    def _read_output(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        for line in process.stdout:
            self.output.append(line)
            if "Serving on http://" in line:
                ready.set()
        ready.set()  # the process ended; start() sees it through poll()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.reader.join(5)  # it stops at the end of the output; closing under it would race
        process.stdout.close()

    def log(self) -> str:
        return "".join(self.output)


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One JSON request to the REST API; returns the decoded body or raises with the server's answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/api/{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        error.close()
        raise AssertionError(f"{method} {path} -> {error.code}: {detail}") from None


def register(base: str, first_name: str, last_name: str = "") -> dict:
    """A new account; returns the register answer (`token`, `user`)."""
    email = f"{first_name.lower()}.{time.monotonic_ns()}@example.org"
    body = {"email": email, "password": "correct horse", "first_name": first_name, "last_name": last_name}
    answer = call(base, "POST", "user/register/", body)
    answer["email"] = email
    return answer


class CuttableProxy:
    """A TCP relay in front of the server whose link can be cut and restored, like a network drop."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.5)  # so the accept loop notices close()
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.links: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.up = True
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.links.update((client, upstream))
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self.lock:
                self.links.difference_update(peers)
            for sock in peers:
                sock.close()

    def cut(self) -> None:
        """Drops every open connection and refuses new ones until restore()."""
        self.up = False
        with self.lock:
            links = list(self.links)
        for sock in links:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()


def shared_room(base, name):
    """Two members (Asha owns the room, Ravi joined) made over REST; returns (asha, ravi, room)."""
    asha, ravi = register(base, "Asha", "Rao"), register(base, "Ravi", "Menon")
    room = call(base, "POST", "chat/create-group/", {"name": name}, asha["token"])["room"]
    call(base, "POST", f"chat/group/{room['id']}/add-yourself/", {}, ravi["token"])
    return asha, ravi, room


def expect_live(page, timeout=TIMEOUT_MS):
    expect(page.get_by_test_id("connection-status")).to_have_text("Connected", timeout=timeout)


def message(page, text):
    """The message whose own text (not a quote of it) contains `text`."""
    return page.get_by_test_id("message").filter(has=page.get_by_test_id("message-content").filter(has_text=text))


def expect_stored(page, text):
    """The server's copy of the message has replaced the page's pending bubble."""
    expect(message(page, text)).to_have_attribute("data-message-id", re.compile(r"\d+"))


def send(page, text):
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("message-input").press("Enter")
