"""The schema's versions: schema.sql for a new file, MIGRATIONS to upgrade an older one by user_version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import upgrades
from .. import names

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
    upgrades.TO_8,
)
SCHEMA_VERSION = 1 + len(MIGRATIONS)


class DatabaseUnusable(RuntimeError):
    """The file is not a database this server can open: corrupt, not SQLite, or of a newer schema."""


def schema_sql() -> str:
    """The text of schema.sql, shipped beside the package."""
    return (Path(__file__).resolve().parent.parent / "schema.sql").read_text(encoding="utf-8")


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
