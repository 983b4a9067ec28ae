"""The storage layer's contracts that the rest of the server leans on."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from chatserver.storage.db import Database, DatabaseLocked


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(str(tmp_path / "s.db"))
    yield database
    await database.close()


def _insert(conn: sqlite3.Connection, email: str, fail: bool) -> str:
    conn.execute("INSERT INTO users (email, password_hash, first_name, created_at, updated_at)"
                 " VALUES (?, 'x', 'A', 'now', 'now')", (email,))
    if fail:
        raise RuntimeError("half way")
    return threading.current_thread().name


async def test_write_runs_off_the_event_loop_and_commits(db):
    thread = await db.write(_insert, "a@example.org", False)
    assert thread != threading.current_thread().name
    assert (await db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 1


async def test_write_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError):
        await db.write(_insert, "b@example.org", True)
    assert (await db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 0
    await db.write(_insert, "c@example.org", False)  # the connection is usable afterwards
    assert (await db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 1


async def test_a_second_server_on_the_same_file_is_refused(db):
    with pytest.raises(DatabaseLocked):
        await Database.open(db.path)


async def test_reads_see_a_commit_made_just_before(db):
    for i in range(50):
        await db.write(_insert, f"r{i}@example.org", False)
        assert (await db.fetchone("SELECT count(*) AS n FROM users"))["n"] == i + 1
