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
    "DROP TABLE audit; DROP TABLE blocks; DROP TABLE invites; DROP TABLE mutes; DROP TABLE bans;"
    " DROP INDEX messages_pinned; DROP INDEX rooms_direct; DROP INDEX rooms_name; DROP INDEX rooms_name_key;"
    " CREATE UNIQUE INDEX rooms_name ON rooms (name COLLATE NOCASE);"
    " CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key);"
    " ALTER TABLE rooms DROP COLUMN direct_key; ALTER TABLE rooms DROP COLUMN members_may_pin;"
    " ALTER TABLE rooms DROP COLUMN read_only; ALTER TABLE rooms DROP COLUMN kind;"
    " ALTER TABLE members DROP COLUMN moderator; ALTER TABLE users DROP COLUMN suspended_at;"
    " ALTER TABLE messages DROP COLUMN deleted_by; ALTER TABLE messages DROP COLUMN pinned_by;"
    " ALTER TABLE messages DROP COLUMN pinned_at;"
    " CREATE TABLE events_old (room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('created', 'edited', 'deleted', 'reacted')),"
    " message_id INTEGER NOT NULL, frame TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (room_id, seq))"
    " WITHOUT ROWID; INSERT INTO events_old SELECT * FROM events; DROP TABLE events;"
    " ALTER TABLE events_old RENAME TO events; CREATE INDEX events_message ON events (message_id);",
    "DROP TABLE search_words; DROP TABLE search_grams; DELETE FROM high_water WHERE name = 'search_backfill';",
)


def as_version(conn: sqlite3.Connection, version: int) -> None:
    """Turn a file made by this server into one of schema `version`, with its rows."""
    for step in reversed(UNDO[version - 1:SCHEMA_VERSION - 1]):
        conn.executescript(step)
    conn.execute(f"PRAGMA user_version = {version}")


def layout(conn: sqlite3.Connection) -> dict[str, object]:
    """Every table's columns, every index's and virtual table's definition: what a migration must reproduce."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    columns = {t: [(c[1], c[2], c[3], c[5]) for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    indexes = sorted((name, " ".join(sql.split())) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"))
    virtual = sorted((name, " ".join(sql.split())) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"))
    return {"columns": columns, "indexes": indexes, "virtual": virtual}
