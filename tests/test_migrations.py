"""Every older database file is brought to the schema a new file gets, with its rows kept."""

from __future__ import annotations

import sqlite3

import pytest

from chatserver.storage.db import Database
from chatserver.storage.migrations import SCHEMA_VERSION
from older_files import UNDO, as_version, layout


def test_every_version_after_the_first_has_its_undo_step():
    assert len(UNDO) == SCHEMA_VERSION - 1


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_a_file_of_each_older_version_migrates_to_the_new_layout(tmp_path, version):
    fresh, older = str(tmp_path / "fresh.db"), str(tmp_path / "older.db")
    for path in (fresh, older):
        await (await Database.open(path)).close()
    with sqlite3.connect(older) as conn:
        conn.execute("INSERT INTO users (email, password_hash, first_name, created_at, updated_at)"
                     " VALUES ('kept@example.org', 'x', 'Kept', 'then', 'then')")
        as_version(conn, version)
        assert layout(conn) != layout(sqlite3.connect(fresh))  # the undo really went back
    await (await Database.open(older)).close()
    with sqlite3.connect(older) as conn, sqlite3.connect(fresh) as new:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert layout(conn) == layout(new)
        assert conn.execute("SELECT email FROM users").fetchall() == [("kept@example.org",)]
