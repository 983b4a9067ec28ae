"""The SQLite file as the server uses it: one writer thread and a pool of reader threads."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence, TypeVar

from .files import copy_database, create_private, take_server_lock
from .migrations import DatabaseUnusable, migrate
from .pragmas import open_connection
from .sqlite_thread import SqliteThread
from ..store import Row

T = TypeVar("T")


def not_taking_writes(exc: BaseException) -> bool:
    """Whether a failed statement means the database cannot take writes now (locked by another
    process past the busy timeout, a full disk, an I/O error) rather than a bug: try again later."""
    return isinstance(exc, sqlite3.OperationalError)


def iso(moment: datetime) -> str:
    """A time as clients get every time: ISO 8601 with microseconds and offset, always 32 characters."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def now_iso() -> str:
    """The current time as iso() writes it."""
    return iso(datetime.now(timezone.utc))


def contains(q: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching any text that contains q as it is written."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fetchall(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return conn.execute(sql, params).fetchall()


class Database:
    """One writer thread for every write; a pool of readers for queries.

    Every read runs to completion in one call on a reader's thread: a statement left
    open between awaits would hold its snapshot, and the next read could miss a commit.
    Reads take a free reader from the pool, so one slow query holds up one reader, not
    every request behind it.

    SQLite allows one writer at a time; funnelling every write through one connection
    on one thread in this process keeps writes ordered and lets the publisher commit many in
    one transaction. WAL lets the readers see committed data while a write is in progress.
    """

    def __init__(self, path: str, writer: SqliteThread, readers: list[SqliteThread],
                 lock_fd: int | None) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._free: asyncio.Queue[SqliteThread] = asyncio.Queue()
        for reader in readers:
            self._free.put_nowait(reader)
        self._lock_fd = lock_fd

    @classmethod
    async def open(cls, path: str, synchronous: str = "normal", exclusive: bool = True,
                   readers: int = 1, busy_timeout: float = 5.0) -> "Database":
        """Open (creating if needed) and migrate; exclusive takes the one-server lock.

        A file that is not a database this server can use raises DatabaseUnusable naming it,
        with nothing left open.
        """
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        lock_fd = take_server_lock(path) if exclusive else None
        connect = partial(open_connection, path, synchronous, busy_timeout)
        opened: list[SqliteThread] = []
        try:
            opened.append(await SqliteThread.start(connect, "writer"))
            await opened[0].run(migrate)
            for n in range(readers):
                opened.append(await SqliteThread.start(connect, f"reader-{n}"))
        except BaseException as exc:
            for thread in opened:
                await thread.close()
            if lock_fd is not None:
                os.close(lock_fd)
            if isinstance(exc, (sqlite3.DatabaseError, DatabaseUnusable)):
                raise DatabaseUnusable(f"{path}: {exc}") from None
            raise
        return cls(path, opened[0], opened[1:], lock_fd)

    async def close(self) -> None:
        """Close every connection once its work is done (a WAL checkpoint happens on the last close)."""
        if not self._writer.closed:
            for _ in self._readers:  # each once its read is done
                await (await self._free.get()).close()
            for reader in self._readers:  # a read after close fails at once, as on any closed connection
                self._free.put_nowait(reader)
        await self._writer.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def writes_pending(self) -> int:
        """Writes queued or running on the writer's thread."""
        return self._writer.pending

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[SqliteThread]:
        reader = await self._free.get()
        try:
            yield reader
        finally:
            self._free.put_nowait(reader)

    async def write(self, work: Callable[..., T], *args: Any) -> T:
        """Run work(conn, *args), a plain function, on the writer's thread inside one BEGIN IMMEDIATE
        transaction: committed if it returns, rolled back if it raises (the exception is re-raised here)."""
        return await self._writer.write(work, *args)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """One row of a read-only query, or None."""
        async with self._reading() as reader:
            rows = await reader.run(_fetchall, sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of a read-only query."""
        async with self._reading() as reader:
            return await reader.run(_fetchall, sql, params)

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        return (await self.fetchone("SELECT 1 AS ok")) == {"ok": 1}

    async def backup(self, target: str, progress: Any = None, pages: int = 1024) -> None:
        """Copy the live database to target (see copy_database)."""
        async with self._reading() as reader:
            await reader.run(copy_database, target, progress, pages)


def execute(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement, for Database.write; returns the number of rows it changed."""
    return conn.execute(sql, params).rowcount


def insert(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """One INSERT, for Database.write; returns the new row's id."""
    return conn.execute(sql, params).lastrowid
