"""Queries on users and their tokens."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from ..names import email_form, email_key
from ..store import EmailTaken
from .db import Database, Row, execute, insert, now_iso

USER_COLUMNS = "id, email, first_name, last_name, role, photo, year, created_at, updated_at, suspended_at"
EDITABLE = ("first_name", "last_name", "photo", "year", "role")  # the password: set_password


async def create_user(db: Database, *, email: str, password_hash: str, first_name: str,
                      last_name: str = "", role: str = "member", photo: str | None = None,
                      year: str | None = None) -> Row:
    """Insert a user; the e-mail is stored lower-cased, unique by its email_key."""
    now = now_iso()
    try:
        user_id = await db.write(insert, (
            "INSERT INTO users (email, email_key, password_hash, first_name, last_name, role, photo, year,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (email_form(email), email_key(email), password_hash, first_name, last_name, role, photo, year, now, now))
    except sqlite3.IntegrityError:
        raise EmailTaken(email) from None
    return await get_user(db, user_id)


async def get_user(db: Database, user_id: int) -> Row | None:
    """A user by id."""
    return await db.fetchone(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))


async def get_login(db: Database, email: str) -> Row | None:
    """A user with the stored password hash, by e-mail (any case or width); the address as stored wins
    over another that is only the same under email_key (two such can predate the key)."""
    exact = email_form(email)
    return await db.fetchone(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ? OR email_key = ?"
        " ORDER BY email = ? DESC LIMIT 1", (exact, email_key(email), exact))


async def update_user(db: Database, user_id: int, changes: dict[str, Any]) -> Row | None:
    """Change some of first_name, last_name, photo, year, role."""
    fields = {k: v for k, v in changes.items() if k in EDITABLE}
    if fields:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await db.write(execute, f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",
                       (*fields.values(), now_iso(), user_id))
    return await get_user(db, user_id)


async def set_password(db: Database, user_id: int, password_hash: str,
                       revoke: bool = True, keep_token: int | None = None) -> list[int]:
    """Store a new password hash and, with revoke, in the same transaction revoke the user's
    tokens but keep_token; returns the ids revoked."""
    return await db.write(_set_password, user_id, password_hash, now_iso(), revoke, keep_token)


def _set_password(conn: sqlite3.Connection, user_id: int, password_hash: str, now: str,
                  revoke: bool, keep_token: int | None) -> list[int]:
    conn.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", (password_hash, now, user_id))
    if not revoke:
        return []
    rows = conn.execute(
        "DELETE FROM tokens WHERE user_id = ? AND id IS NOT ? RETURNING id", (user_id, keep_token)).fetchall()
    return sorted(r["id"] for r in rows)


async def list_users(db: Database) -> list[Row]:
    """Every user, by id."""
    return await db.fetchall(f"SELECT {USER_COLUMNS} FROM users ORDER BY id")


async def missing_users(db: Database, user_ids: Iterable[int]) -> list[int]:
    """The ids among user_ids that name no user."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = await db.fetchall(
        f"SELECT id FROM users WHERE id IN ({','.join('?' * len(ids))})", ids)
    found = {r["id"] for r in rows}
    return [i for i in ids if i not in found]


async def add_token(db: Database, user_id: int, digest: str, prefix: str, address: str | None = None) -> int:
    """Store a new token's digest, issued to a client address; returns the token's id."""
    now = now_iso()
    return await db.write(insert, "INSERT INTO tokens (digest, prefix, user_id, created_at, last_used_at, address)"
                          " VALUES (?, ?, ?, ?, ?, ?)", (digest, prefix, user_id, now, now, address))


async def touch_tokens(db: Database, token_ids: list[int], address: str | None = None) -> None:
    """Record that these tokens were used now (and from address, if known)."""
    await db.write(execute, "UPDATE tokens SET last_used_at = ?, address = coalesce(?, address)"
                   " WHERE id IN (SELECT value FROM json_each(?))", (now_iso(), address, json.dumps(token_ids)))


# A suspended user's token is never valid, even one a login racing the suspension wrote after it.
_TOKEN_USER = (f"SELECT t.id AS token_id, t.created_at AS token_created_at, t.last_used_at AS token_used_at,"
               f" {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))}"
               " FROM tokens t JOIN users u ON u.id = t.user_id AND u.suspended_at IS NULL")


async def user_by_token(db: Database, digest: str) -> Row | None:
    """The user holding the token with this digest, with the token's id as token_id."""
    return await db.fetchone(f"{_TOKEN_USER} WHERE t.digest = ?", (digest,))


async def users_by_token_ids(db: Database, token_ids: list[int]) -> list[Row]:
    """The users holding these tokens, each row with its token_id; revoked tokens have no row."""
    return await db.fetchall(f"{_TOKEN_USER} WHERE t.id IN (SELECT value FROM json_each(?))",
                             (json.dumps(token_ids),))


async def list_tokens(db: Database, user_id: int) -> list[Row]:
    """A user's tokens (id, prefix, created_at, last_used_at, address), oldest first."""
    return await db.fetchall(
        "SELECT id, prefix, created_at, last_used_at, address FROM tokens WHERE user_id = ? ORDER BY id",
        (user_id,))


async def delete_tokens(db: Database, user_id: int, token_ids: list[int] | None = None) -> list[int]:
    """Revoke some (or all) of a user's tokens; returns the ids revoked."""
    return await db.write(_delete_tokens, user_id, token_ids)


def _delete_tokens(conn: sqlite3.Connection, user_id: int, token_ids: list[int] | None) -> list[int]:
    rows = conn.execute("SELECT id FROM tokens WHERE user_id = ?", (user_id,)).fetchall()
    ids = [r["id"] for r in rows if token_ids is None or r["id"] in token_ids]
    conn.executemany("DELETE FROM tokens WHERE id = ?", [(i,) for i in ids])
    return ids
