"""The web client when the server cannot store a send: it keeps it pending and retries it."""

from __future__ import annotations

import sqlite3
import time

import pytest

from browser_support import expect, expect_stored, message, send, shared_room

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts

REFUSED = "write batch of 1 changes failed"


def logged(live_server, text: str, timeout: float = 15.0) -> None:
    """Wait until the server's output shows text (the event itself, not a guessed delay)."""
    deadline = time.monotonic() + timeout
    while text not in live_server.log():
        assert time.monotonic() < deadline, f"the server never logged {text!r}:\n{live_server.log()}"
        time.sleep(0.05)


def test_a_send_refused_while_the_database_is_locked_is_retried_until_stored(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Locked file")
    a, r = open_room(live_server.url, room, asha), open_room(live_server.url, room, ravi)
    other = sqlite3.connect(live_server.workdir / "chat.db", isolation_level=None)  # another process's lock
    other.execute("BEGIN EXCLUSIVE")
    try:
        send(a, "stored once the lock is gone")
        logged(live_server, REFUSED)  # after CHAT_BUSY_TIMEOUT the server answered `unavailable`
        expect(a.locator("[data-pending]")).to_have_count(1)
    finally:
        other.rollback()
        other.close()
    expect(message(r, "stored once the lock is gone")).to_have_count(1)
    expect_stored(a, "stored once the lock is gone")
    expect(a.locator("[data-pending]")).to_have_count(0)
