"""How the server opens each connection to its file: the PRAGMAs, and rows as dicts."""

from __future__ import annotations

import sqlite3

from .. import names
from ..store import Row


def dict_row(cursor: sqlite3.Cursor, row: tuple) -> Row:
    """A row factory: each row as a dict of its column names."""
    return {col[0]: value for col, value in zip(cursor.description, row)}


def _pragmas(synchronous: str, busy_timeout: float) -> tuple[str, ...]:
    return ("journal_mode = WAL", f"synchronous = {synchronous.upper()}", "foreign_keys = ON",
            f"busy_timeout = {int(busy_timeout * 1000)}", "temp_store = MEMORY")


def open_connection(path: str, synchronous: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode, its PRAGMAs set, its rows dicts."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.row_factory = dict_row
        # The search index's text (storage/search_index.py): the same function writes and unwrites it.
        conn.create_function("search_key", 1, names.search_key, deterministic=True)
        conn.create_function("unspaced", 1, names.unspaced, deterministic=True)
        for pragma in _pragmas(synchronous, busy_timeout):
            conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        conn.close()
        raise
    return conn
