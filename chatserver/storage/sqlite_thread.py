"""A plain sqlite3 connection on its own daemon thread, which runs plain functions on it in order."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")
Job = tuple[asyncio.Future, Callable[..., Any], tuple[Any, ...]]


def in_transaction(conn: sqlite3.Connection, work: Callable[..., T], *args: Any) -> T:
    """work(conn, *args) inside BEGIN IMMEDIATE: committed if it returns, rolled back if anything fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn, *args)
        conn.commit()
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT (a full disk) may leave it open: the next BEGIN would fail
            conn.rollback()
        raise
    return result


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller stopped waiting
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _hand_back(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    try:
        future.get_loop().call_soon_threadsafe(_settle, future, result, error)
    except RuntimeError:  # the loop is closed: nobody is left to tell
        pass


class SqliteThread:
    """One daemon thread owning a plain sqlite3 connection, fed by a queue.

    Every job runs to its end on that thread, in the order queued; its result or exception
    is handed back to the awaiting coroutine on its loop. The thread is a daemon, so a process
    that fails before closing it still exits.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, args=(connect,), name=f"chatserver-{name}", daemon=True)
        self.pending = 0  # jobs queued or running
        self.closed = False

    @classmethod
    async def start(cls, connect: Callable[[], sqlite3.Connection], name: str) -> "SqliteThread":
        """A thread whose connection connect() opened on it; raises what connect raised."""
        started = cls(connect, name)
        started._thread.start()
        try:
            await started.run(lambda conn: None)
        except BaseException:  # connect failed, or the caller gave up waiting: the thread ends either way
            started._jobs.put(None)
            await asyncio.to_thread(started._thread.join)
            raise
        return started

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """work(conn, *args) on the connection's thread, as it is (write() wraps it in a transaction)."""
        if self.closed:
            raise ValueError("the database is closed")
        future = asyncio.get_running_loop().create_future()
        self.pending += 1
        self._jobs.put((future, work, args))
        try:
            return await future
        finally:
            self.pending -= 1

    async def write(self, work: Callable[..., T], *args: Any) -> T:
        """work(conn, *args) on the connection's thread inside one transaction (see in_transaction)."""
        return await self.run(in_transaction, work, *args)

    async def close(self) -> None:
        """Let the queued jobs finish, then close the connection and join the thread."""
        if self.closed:
            return
        self.closed = True
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)

    def _serve(self, connect: Callable[[], sqlite3.Connection]) -> None:
        job = self._jobs.get()
        try:
            conn = connect()
        except BaseException as exc:
            if job is not None:
                _hand_back(job[0], None, exc)
            self.closed = True
            return
        try:
            while job is not None:
                future, work, args = job
                try:
                    result, error = work(conn, *args), None
                except BaseException as exc:  # handed to the caller; the thread goes on
                    result, error = None, exc
                _hand_back(future, result, error)
                job = self._jobs.get()
        finally:
            conn.close()
