"""The storage layer's contracts that the rest of the server leans on."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from chatserver.storage.db import Database
from chatserver.storage.files import DatabaseLocked


@pytest.fixture
async def server_db(tmp_path):
    """A database of its own, opened as the server opens it (holding the one-server lock)."""
    database = await Database.open(str(tmp_path / "s.db"))
    yield database
    await database.close()


def _insert(conn: sqlite3.Connection, email: str, fail: bool) -> str:
    conn.execute("INSERT INTO users (email, password_hash, first_name, created_at, updated_at)"
                 " VALUES (?, 'x', 'A', 'now', 'now')", (email,))
    if fail:
        raise RuntimeError("half way")
    return threading.current_thread().name


async def test_write_runs_off_the_event_loop_and_commits(server_db):
    thread = await server_db.write(_insert, "a@example.org", False)
    assert thread != threading.current_thread().name
    assert (await server_db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 1


async def test_write_rolls_back_everything_on_error(server_db):
    with pytest.raises(RuntimeError):
        await server_db.write(_insert, "b@example.org", True)
    assert (await server_db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 0
    await server_db.write(_insert, "c@example.org", False)  # the connection is usable afterwards
    assert (await server_db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 1


class Crash(BaseException):
    """Not an Exception: what a bug deep in a write function might raise."""


def _crash(conn: sqlite3.Connection) -> None:
    _insert(conn, "crash@example.org", False)
    raise Crash()


def _orphan(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA defer_foreign_keys = ON")  # the violation surfaces only at COMMIT
    conn.execute("INSERT INTO tokens (digest, prefix, user_id, created_at) VALUES ('d', 'p', 999, 'now')")


async def test_a_crash_in_a_write_is_handed_back_and_the_writer_goes_on(server_db):
    with pytest.raises(Crash):
        await server_db.write(_crash)
    assert await server_db.write(_insert, "after@example.org", False) != threading.current_thread().name
    assert [r["email"] for r in await server_db.fetchall("SELECT email FROM users")] == ["after@example.org"]


async def test_a_failed_commit_is_rolled_back_and_the_next_write_begins(server_db):
    with pytest.raises(sqlite3.IntegrityError):
        await server_db.write(_orphan)
    await server_db.write(_insert, "next@example.org", False)
    assert (await server_db.fetchone("SELECT count(*) AS n FROM tokens"))["n"] == 0
    assert (await server_db.fetchone("SELECT count(*) AS n FROM users"))["n"] == 1


async def test_writes_run_in_order_on_one_daemon_thread_joined_on_close(tmp_path):
    import asyncio

    database = await Database.open(str(tmp_path / "order.db"))
    threads = await asyncio.gather(*(database.write(_insert, f"o{i}@example.org", False) for i in range(20)))
    [writer] = [t for t in threading.enumerate() if t.name == threads[0]]
    assert set(threads) == {writer.name} and writer.daemon
    assert [t.daemon for t in threading.enumerate() if t.name.startswith("chatserver-reader")] == [True]
    rows = await database.fetchall("SELECT email FROM users ORDER BY id")
    assert [r["email"] for r in rows] == [f"o{i}@example.org" for i in range(20)]
    await database.close()
    assert not writer.is_alive()
    with pytest.raises(ValueError):
        await database.write(_insert, "late@example.org", False)


async def test_a_process_that_fails_with_the_database_open_still_exits(tmp_path):
    """A start-up that fails after the database opened, and never closes it, does not hang."""
    import asyncio
    import sys

    script = ("import asyncio, sys\n"
              "from chatserver.storage.db import Database\n"
              "async def main():\n"
              "    database = await Database.open(sys.argv[1], readers=2)\n"
              "    await database.write(lambda conn: None)\n"
              "    await database.fetchone(\"SELECT 1\")\n"
              "    raise SystemExit(3)\n"
              "asyncio.run(main())\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(tmp_path / "left.db"))
    assert await asyncio.wait_for(proc.wait(), 60) == 3


async def test_an_open_given_up_half_way_leaves_no_thread_and_no_lock(tmp_path):
    import asyncio

    opening = asyncio.ensure_future(Database.open(str(tmp_path / "given-up.db")))
    await asyncio.sleep(0)  # one turn of the loop: the writer's thread is starting
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(opening, 30)
    assert not [t for t in threading.enumerate() if t.name.startswith("chatserver-")]
    await (await Database.open(str(tmp_path / "given-up.db"))).close()


async def test_a_second_server_on_the_same_file_is_refused(server_db):
    with pytest.raises(DatabaseLocked):
        await Database.open(server_db.path)


async def test_reads_see_a_commit_made_just_before(server_db):
    for i in range(50):
        await server_db.write(_insert, f"r{i}@example.org", False)
        assert (await server_db.fetchone("SELECT count(*) AS n FROM users"))["n"] == i + 1


SLOW_READ = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
             " SELECT count(*) AS n FROM n")


async def test_a_slow_read_holds_up_no_other_read(tmp_path):
    """With a pool of readers, a quick query answers while a slow one is still running."""
    import asyncio

    database = await Database.open(str(tmp_path / "pool.db"), readers=2)
    try:
        slow = asyncio.ensure_future(database.fetchone(SLOW_READ))
        quick = asyncio.ensure_future(database.fetchone("SELECT 1 AS ok"))
        done, _ = await asyncio.wait({slow, quick}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {quick} and not slow.done()
        assert (await slow)["n"] == 1000000
    finally:
        await database.close()


async def test_one_reader_serves_reads_in_turn(server_db):
    """The control: with one reader the quick query waits for the slow one."""
    import asyncio

    slow = asyncio.ensure_future(server_db.fetchone(SLOW_READ))
    quick = asyncio.ensure_future(server_db.fetchone("SELECT 1 AS ok"))
    done, _ = await asyncio.wait({slow, quick}, return_when=asyncio.FIRST_COMPLETED)
    assert slow in done
    await quick


async def test_close_waits_for_a_read_in_progress(tmp_path):
    import asyncio

    database = await Database.open(str(tmp_path / "close.db"), readers=2)
    slow = asyncio.ensure_future(database.fetchone(SLOW_READ))
    await asyncio.sleep(0)  # one turn of the loop: the read takes its reader
    assert database._free.qsize() == 1
    await database.close()
    assert (await slow)["n"] == 1000000


async def test_a_deep_history_page_walks_the_index_alone(server_db):
    """Page N of the numbered history skips its offset in the (room_id, id) index, joining only the page."""
    import inspect

    from chatserver.storage import messages

    source = inspect.getsource(messages.page)
    assert "LIMIT ? OFFSET ?)" in source  # the offset sits in the id subquery
    plan = await server_db.fetchall("EXPLAIN QUERY PLAN SELECT id FROM messages WHERE room_id = ?"
                                    " ORDER BY id DESC LIMIT ? OFFSET ?", (1, 20, 200000))
    assert any("COVERING INDEX messages_room" in row["detail"] for row in plan)


async def test_closing_twice_and_reading_after_close_fail_fast(tmp_path):
    database = await Database.open(str(tmp_path / "twice.db"), readers=2)
    await database.close()
    await database.close()  # the application's cleanup may close a database a test already closed
    with pytest.raises(ValueError):
        await database.fetchone("SELECT 1 AS ok")
