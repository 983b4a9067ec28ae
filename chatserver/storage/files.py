"""The database file on disk: created private, locked to one server, copied and inspected without migrating it."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from typing import Any

from .migrations import SCHEMA_VERSION
from .pragmas import dict_row


class DatabaseLocked(RuntimeError):
    """Another server process already serves this database file."""


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
        conn.row_factory = dict_row
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


def create_private(path: str) -> None:
    """Create a new database file 0600; an existing one is left alone."""
    # A new database file is created 0600; SQLite gives its -wal and -shm files the same mode.
    # An existing one is left alone: closing any descriptor of a file drops every POSIX lock this
    # process holds on it, including SQLite's, so it is never opened here once SQLite may have it.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def take_server_lock(path: str) -> int:
    """Take the one-server lock beside the file (path.lock); returns its descriptor, to close to let go."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseLocked(f"another chatserver is already using {path}") from None
    return fd
