"""The SQLite file: PRAGMAs, migrations by user_version, one writer thread and a pool of reader threads."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence, TypeVar

from . import upgrades
from .sqlite_thread import SqliteThread
from .. import names
from ..store import Row

T = TypeVar("T")

# Each entry upgrades the schema by one version: MIGRATIONS[0] takes version 1 to 2.
# schema.sql always holds the newest schema whole, so a new file skips them.
MIGRATIONS: tuple[str, ...] = (
    upgrades.TO_2,
    # 2 -> 3: a user's stored attachments are summed for their upload quota.
    "CREATE INDEX IF NOT EXISTS messages_attachments ON messages (sender_id) WHERE attachment IS NOT NULL;",
    # 3 -> 4: name keys: e-mails unique under NFKC and case folding, room names also ignoring accents. Rows
    # that already collide all stay: the lowest id gets the key, the others get it suffixed with their id.
    "ALTER TABLE users ADD COLUMN email_key TEXT;"
    " UPDATE users SET email_key = email_key(email) || char(31) || id;"
    " UPDATE users SET email_key = email_key(email) WHERE id IN (SELECT min(id) FROM users GROUP BY email_key(email));"
    " CREATE UNIQUE INDEX users_email_key ON users (email_key);"
    " ALTER TABLE rooms ADD COLUMN name_key TEXT;"
    " UPDATE rooms SET name_key = room_key(name) || char(31) || id;"
    " UPDATE rooms SET name_key = room_key(name) WHERE id IN (SELECT min(id) FROM rooms GROUP BY room_key(name));"
    " CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key);",
    # 4 -> 5: when and from where each token was last used.
    "ALTER TABLE tokens ADD COLUMN last_used_at TEXT; ALTER TABLE tokens ADD COLUMN address TEXT;",
    # 5 -> 6: the message id high-water mark (ids are never reused)
    "CREATE TABLE high_water (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    " INSERT INTO high_water (name, value) SELECT 'message_id', coalesce(max(id), 0) FROM messages;",
    upgrades.TO_7,
)
SCHEMA_VERSION = 1 + len(MIGRATIONS)


class DatabaseLocked(RuntimeError):
    """Another server process already serves this database file."""


def not_taking_writes(exc: BaseException) -> bool:
    """Whether a failed statement means the database cannot take writes now (locked by another
    process past the busy timeout, a full disk, an I/O error) rather than a bug: try again later."""
    return isinstance(exc, sqlite3.OperationalError)


class DatabaseUnusable(RuntimeError):
    """The file is not a database this server can open: corrupt, not SQLite, or of a newer schema."""


def iso(moment: datetime) -> str:
    """A time as clients get every time: ISO 8601 with microseconds and offset, always 32 characters."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def now_iso() -> str:
    """The current time as iso() writes it."""
    return iso(datetime.now(timezone.utc))


def schema_sql() -> str:
    """The text of schema.sql, shipped beside the package."""
    return (Path(__file__).resolve().parent.parent / "schema.sql").read_text(encoding="utf-8")


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row)}


def _pragmas(synchronous: str, busy_timeout: float) -> tuple[str, ...]:
    return ("journal_mode = WAL", f"synchronous = {synchronous.upper()}", "foreign_keys = ON",
            f"busy_timeout = {int(busy_timeout * 1000)}", "temp_store = MEMORY")


def _open(path: str, synchronous: str, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.row_factory = _dict_row
        for pragma in _pragmas(synchronous, busy_timeout):
            conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        conn.close()
        raise
    return conn


def _fetchall(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return conn.execute(sql, params).fetchall()


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    (found,) = conn.execute("PRAGMA user_version").fetchone().values()
    if found > SCHEMA_VERSION:
        raise DatabaseUnusable(f"schema version {found} is newer than this server's ({SCHEMA_VERSION})")
    if found == SCHEMA_VERSION:
        return found
    for name, function in (("email_key", names.email_key), ("room_key", names.room_key)):
        conn.create_function(name, 1, function, deterministic=True)
    steps = [schema_sql()] if found == 0 else list(MIGRATIONS[found - 1:])
    script = "\n".join(steps)
    # One script, so its own BEGIN/COMMIT: executescript commits any open transaction first.
    conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;")
    return found


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
        _create_private(path)
        lock_fd = _take_server_lock(path) if exclusive else None
        connect = partial(_open, path, synchronous, busy_timeout)
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


def copy_database(source: sqlite3.Connection, target: str, progress: Any = None, pages: int = 1024) -> None:
    """Copy source's database to the file target with SQLite's online backup API, `pages` per step.

    progress(status, remaining, total) is called after each step, in the copying thread.
    """
    dest = sqlite3.connect(target)
    try:
        # A read transaction pins one snapshot for the whole copy: writes by the server
        # go on (WAL) but no longer restart the backup at every step, as they otherwise would.
        source.execute("BEGIN")
        try:
            source.execute("SELECT count(*) FROM sqlite_schema")
            source.backup(dest, pages=pages, progress=progress, sleep=0)
        finally:
            source.execute("COMMIT")
    finally:
        dest.close()


def _backup_file(path: str, target: str, progress: Any) -> None:
    source = sqlite3.connect(path, isolation_level=None)
    try:
        source.execute("PRAGMA busy_timeout = 5000")
        copy_database(source, target, progress)
    finally:
        source.close()


async def backup_file(path: str, target: str, progress: Any = None) -> None:
    """Copy a database file as it is, never migrating it (a server may be running on it)."""
    await asyncio.to_thread(_backup_file, path, target, progress)


# Each room's event log is numbered 1..last_seq with no hole: what clients resume by.
SEQ_CHECKS = (
    ("SELECT room_id, count(*) AS n, min(seq) AS low, max(seq) AS high FROM events GROUP BY room_id"
     " HAVING n != high OR low != 1", "room {room_id}: events numbered {low}..{high} but {n} of them"),
    ("SELECT r.id, r.last_seq, coalesce(max(e.seq), 0) AS high FROM rooms r LEFT JOIN events e ON e.room_id = r.id"
     " GROUP BY r.id HAVING r.last_seq != high", "room {id}: last_seq {last_seq} but newest event {high}"),
)


def _inspect(path: str) -> tuple[int, list[str]]:
    conn = sqlite3.connect(path)
    try:
        conn.row_factory = _dict_row
        version = conn.execute("PRAGMA user_version").fetchone()["user_version"]
        findings = [row["integrity_check"] for row in conn.execute("PRAGMA integrity_check")]
        findings = [] if findings == ["ok"] else findings
        findings += [f"a row of {r['table']} refers to a missing row of {r['parent']}"
                     + (f" (rowid {r['rowid']})" if r["rowid"] is not None else "")
                     for r in conn.execute("PRAGMA foreign_key_check")]
        if version == SCHEMA_VERSION and not findings:
            for sql, text in SEQ_CHECKS:
                findings += [text.format(**row) for row in conn.execute(sql)]
    finally:
        conn.close()
    return version, findings


async def inspect(path: str) -> tuple[int, list[str]]:
    """A file's schema version (PRAGMA user_version) and what is wrong with it, without migrating
    it: integrity_check, foreign_key_check and, at this schema version, the rooms' seq numbering."""
    return await asyncio.to_thread(_inspect, path)


def execute(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement, for Database.write; returns the number of rows it changed."""
    return conn.execute(sql, params).rowcount


def insert(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """One INSERT, for Database.write; returns the new row's id."""
    return conn.execute(sql, params).lastrowid


def _create_private(path: str) -> None:
    # A new database file is created 0600; SQLite gives its -wal and -shm files the same mode.
    # An existing one is left alone: closing any descriptor of a file drops every POSIX lock this
    # process holds on it, including SQLite's, so it is never opened here once SQLite may have it.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _take_server_lock(path: str) -> int:
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseLocked(f"another chatserver is already using {path}") from None
    return fd
