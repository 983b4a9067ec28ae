"""Fixtures: the real application on a temporary SQLite file, real sockets, real users."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import pytest
from aiohttp.test_utils import TestClient

from browser_support import (CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, LiveServer, expect, expect_live,
                             sync_playwright, unavailable)
from chatserver.app import create_app
from chatserver.cli import main
from chatserver.config import Config
from chatserver.keys import DB
from chatserver.storage.db import Database
from chatserver.storage.users import update_user
from crash_support import Server

FAST_HASH = 2**10  # scrypt cost for test users only: the stored hash records it
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # a WebSocket handshake's headers, for a plain GET
_emails = itertools.count(1)


@pytest.fixture
def config(tmp_path) -> Config:
    """Settings for one test: its own database and media folder."""
    return Config.from_env({}, db=str(tmp_path / "chat.db"), media_dir=str(tmp_path / "media"),
                           scrypt_n=FAST_HASH)


@pytest.fixture
def make_client(aiohttp_client) -> Callable[..., Awaitable[TestClient]]:
    """Start the real app for a config on a real port; returns an aiohttp test client."""
    async def make(cfg: Config) -> TestClient:
        return await aiohttp_client(create_app(cfg))
    return make


@pytest.fixture
async def client(make_client, config) -> TestClient:
    """The server with default settings."""
    return await make_client(config)


class User(dict):
    """A registered user: the user object plus token and auth header."""

    @property
    def token(self) -> str:
        return self["token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self['token']}"}


@pytest.fixture
def register(client) -> Callable[..., Awaitable[User]]:
    """Register a user through the API."""
    async def make(first_name: str = "Asha", cl: TestClient | None = None, **extra: Any) -> User:
        body = {"email": f"user{next(_emails)}@example.org", "password": "correct horse",
                "first_name": first_name, **extra}
        resp = await (cl or client).post("/api/user/register/", json=body)
        assert resp.status == 201, await resp.text()
        data = await resp.json()
        return User(data["user"], token=data["token"], password=body["password"])
    return make


@pytest.fixture
def make_room(client) -> Callable[..., Awaitable[dict]]:
    """Create a room owned by `owner` with more members, through the API."""
    async def make(owner: User, *members: User, name: str | None = None,
                   cl: TestClient | None = None) -> dict:
        body = {"name": name or f"room-{next(_emails)}", "members": [m["id"] for m in members]}
        resp = await (cl or client).post("/api/chat/create-group/", json=body, headers=owner.auth)
        assert resp.status == 201, await resp.text()
        return (await resp.json())["room"]
    return make


@pytest.fixture
def connect(client):
    """Open a real WebSocket to a room as a user."""
    async def open_(user: User, room_id: int, query: str = "", cl: TestClient | None = None, **kw: Any):
        url = f"/ws/chat/{room_id}/?token={user.token}{query}"
        return await (cl or client).ws_connect(url, **kw)
    return open_


@pytest.fixture
async def member(register, make_room, connect):
    """Asha and Ravi in one room, Ravi's socket open: (asha, ravi, room, Ravi's socket)."""
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await connect(ravi, room["id"])
    yield asha, ravi, room, ws
    await ws.close()


@pytest.fixture
def seat_two(register, make_room, connect):
    """Seat Asha and Ravi in a new room of a server (the test's own unless given), each with a socket open."""
    async def seat(cl: TestClient | None = None) -> tuple:
        asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
        room = await make_room(asha, ravi, cl=cl)
        return asha, ravi, room, await connect(asha, room["id"], cl=cl), await connect(ravi, room["id"], cl=cl)
    return seat


async def recv(ws, timeout: float = 3.0) -> dict:
    """The next JSON frame on a client socket."""
    return await ws.receive_json(timeout=timeout)


async def recv_until(ws, match: Callable[[dict], bool], timeout: float = 3.0) -> dict:
    """Skip frames until one matches."""
    while True:
        frame = await recv(ws, timeout)
        if match(frame):
            return frame


async def drain(ws, quiet: float = 0.4) -> list[dict]:
    """Every frame that arrives until the socket has been quiet for a moment."""
    frames = []
    while True:
        try:
            frames.append(await ws.receive_json(timeout=quiet))
        except TimeoutError:
            return frames


async def silent(ws, timeout: float = 0.2) -> bool:
    """True if no frame arrives within timeout."""
    try:
        msg = await ws.receive(timeout=timeout)
    except asyncio.TimeoutError:
        return True
    raise AssertionError(f"unexpected frame: {msg}")


@pytest.fixture
def make_admin(client, register) -> Callable[..., Awaitable[User]]:
    """Register a user through the API, then make them a site admin in the database."""
    async def make(first_name: str = "Root", **extra: Any) -> User:
        user = await register(first_name, **extra)
        row = await update_user(client.app[DB], user["id"], {"role": "admin"})
        user["role"] = row["role"]
        return user
    return make


@pytest.fixture
def cli(config, capsys, monkeypatch):
    """Run `run.py <command> --db <test db> ...` in a worker thread; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("CHAT_SCRYPT_N", "1024")
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    async def run(command: str, *args: str, db: str | None = None) -> tuple[int, str, str]:
        try:
            code = await asyncio.to_thread(main, [command, "--db", db or config.db, *args])
        finally:
            root.handlers[:], root.level = saved
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
async def db(config):
    """The test database, opened beside the commands as another process would."""
    database = await Database.open(config.db, exclusive=False)
    yield database
    await database.close()


@pytest.fixture
def db_rows(config) -> Callable[..., list[tuple]]:
    """Rows of a query run on the test's SQLite file by a separate connection, as an outsider sees it."""
    return lambda sql, params=(): read_rows(config.db, sql, params)


def read_rows(db: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query on a database file, read by a read-only connection of our own."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until the server's state makes condition true (checked every few milliseconds)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


class Checkpoint:
    """A server coroutine function, wrapped so a test can wait for a call to return and hold it there."""

    def __init__(self, real: Callable[..., Awaitable[Any]], hold: bool) -> None:
        self.real, self.hold = real, hold
        self.release = asyncio.Event()
        self._armed: list[tuple[Callable[..., bool], asyncio.Future]] = []

    def arm(self, match: Callable[..., bool] = lambda result, *args: True) -> asyncio.Future:
        """The result of the next call, started from now on, for which match(result, *args) holds."""
        reached = asyncio.get_running_loop().create_future()
        self._armed.append((match, reached))
        return reached

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        armed = list(self._armed)
        result = await self.real(*args, **kwargs)
        hits = [reached for match, reached in armed if not reached.done() and match(result, *args)]
        for reached in hits:
            reached.set_result(result)
        self._armed = [(m, r) for m, r in self._armed if not r.done()]
        if hits and self.hold:
            await self.release.wait()
        return result


@pytest.fixture
def checkpoint(monkeypatch) -> Iterator[Callable[..., Checkpoint]]:
    """Make a Checkpoint of owner.name (a module's function or an app object's method) for one test."""
    made: list[Checkpoint] = []

    def make(owner: Any, name: str, hold: bool = False) -> Checkpoint:
        point = Checkpoint(getattr(owner, name), hold)
        monkeypatch.setattr(owner, name, point)
        made.append(point)
        return point
    yield make
    for point in made:  # a test that failed while holding a call lets it go on
        point.release.set()


class SocketEnds(logging.Handler):
    """The `ws close` lines the server logs as each socket handler ends (with the close code it settled)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._changed: asyncio.Future | None = None

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if line.startswith("ws close"):
            self.lines.append(line)
            if self._changed is not None and not self._changed.done():
                self._changed.set_result(None)

    @staticmethod
    def seconds(line: str) -> float:
        """How long the server says that socket was open."""
        return float(line.rpartition(" duration=")[2].split("s", 1)[0])

    async def wait(self, count: int = 1, timeout: float = 10.0) -> list[str]:
        """Wait until count socket handlers have ended in all; their lines."""
        async with asyncio.timeout(timeout):
            while len(self.lines) < count:
                self._changed = asyncio.get_running_loop().create_future()
                await self._changed
        return self.lines


@pytest.fixture
def socket_ends() -> Iterator[SocketEnds]:
    """Collect the server's `ws close` lines while the test runs."""
    logger, ends = logging.getLogger("chatserver.ws"), SocketEnds()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(ends)
    yield ends
    logger.removeHandler(ends)
    logger.setLevel(level)


async def close_code(ws, timeout: float = 3.0) -> int | None:
    """Skip text frames until the server closes the socket; the close code (None if it ended otherwise)."""
    import aiohttp
    msg = await ws.receive(timeout=timeout)
    while msg.type is aiohttp.WSMsgType.TEXT:
        msg = await ws.receive(timeout=timeout)
    return msg.data if msg.type is aiohttp.WSMsgType.CLOSE else None


async def opened_sockets(handshakes) -> list:
    """The sockets among handshake tasks that opened (the refused ones are left out)."""
    import asyncio
    return [ws for ws in await asyncio.gather(*handshakes, return_exceptions=True)
            if not isinstance(ws, BaseException)]


@pytest.fixture(scope="module")
def browser_present():
    """Skip (fail in CI) without Playwright or Chromium; browser test modules use it before their server starts."""
    if sync_playwright is None:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHAT_TEST_CHROMIUM)")


@pytest.fixture(scope="module")
def browser(browser_present):
    """Headless Chromium, shared by one module's tests."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """`python run.py` started once for one module's browser tests, on its own database."""
    live = LiveServer(tmp_path_factory.mktemp("browser-server"))
    live.start()
    yield live
    live.stop()


@pytest.fixture
def open_page(browser):
    """open_page(url, token=None, beside=None, setup=None): a page in a fresh browser context,
    logged in when given a token; or, with `beside`, another window of that page's browser.
    `setup(page)` runs before the page loads (to route or watch its requests).

    Any uncaught exception or unhandled rejection in a page fails the test.
    """
    contexts = []
    page_errors = []

    def open_(url, token=None, beside=None, setup=None):
        if beside:
            context = beside.context
        else:
            context = browser.new_context(viewport={"width": 1100, "height": 760})
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
        if token:
            context.add_init_script(f"localStorage.setItem('chat.token', {json.dumps(token)})")
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        if setup:
            setup(page)
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert page_errors == []


@pytest.fixture
def open_room(open_page):
    """open_room(base, room, member): the member's page with that room open and its socket live."""

    def open_(base, room, member):
        page = open_page(f"{base}/#room/{room['id']}", member["token"])
        expect_live(page)
        return page

    return open_


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Server]:
    """`python run.py` on a temporary database, in a subprocess the test starts; never left running after it."""
    srv = Server(tmp_path)
    try:
        yield srv
    finally:
        srv.kill()
