"""Database files as older versions of the server left them: what every migration starts from."""

from __future__ import annotations

import sqlite3

from chatserver.storage.migrations import SCHEMA_VERSION

# What schema.sql gained at each version, undone; UNDO[v] takes a file from version v + 2 to v + 1.
UNDO = (
    "DROP INDEX messages_parent;",
    "DROP INDEX messages_attachments;",
    "DROP INDEX users_email_key; DROP INDEX rooms_name_key;"
    " ALTER TABLE users DROP COLUMN email_key; ALTER TABLE rooms DROP COLUMN name_key;",
    "ALTER TABLE tokens DROP COLUMN last_used_at; ALTER TABLE tokens DROP COLUMN address;",
    "DROP TABLE high_water;",
)


def as_version(conn: sqlite3.Connection, version: int) -> None:
    """Turn a file made by this server into one of schema `version`, with its rows."""
    for step in reversed(UNDO[version - 1:SCHEMA_VERSION - 1]):
        conn.executescript(step)
    conn.execute(f"PRAGMA user_version = {version}")


def layout(conn: sqlite3.Connection) -> dict[str, object]:
    """Every table's columns and every index's definition: what a migration must reproduce."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    columns = {t: [(c[1], c[2], c[3], c[5]) for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    indexes = sorted((name, " ".join(sql.split())) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"))
    return {"columns": columns, "indexes": indexes}
