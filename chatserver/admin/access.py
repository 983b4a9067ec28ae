"""How an admin command reaches the database: open it, find users and rooms, refuse in one line."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from .. import bodies
from ..accounts import Accounts
from ..config import Config
from ..errors import ChatError
from ..fields import parse_id
from ..storage.db import Database
from ..storage.sqlite_store import SqliteStore
from ..store import Row, Store


# Exit status: 0 done; 2 refused as given (one line on stderr, nothing changed); 1 the database
# failed or, for `check`, has a problem.
class Refused(Exception):
    """The command cannot be carried out as given, and nothing was changed; the message says why."""


@asynccontextmanager
async def open_database(config: Config, create: bool = False, exclusive: bool = False) -> AsyncIterator[Store]:
    """The database of config, opened beside a running server (created only with create); with
    exclusive, only while no server runs (DatabaseLocked otherwise)."""
    if not create:
        existing_db(config)  # a mistyped --db must not leave a new empty database behind
    # Not exclusive: the server holds the one-server lock while it runs, and that is fine
    # (exclusive: a command that writes the event log, which only one process may write).
    db = await Database.open(config.db, config.synchronous, exclusive=exclusive)
    try:
        yield SqliteStore(db)
    finally:
        await db.close()


@asynccontextmanager
async def open_accounts(config: Config, create: bool = False, exclusive: bool = False) -> AsyncIterator[Accounts]:
    """The accounts service on the database of config."""
    async with open_database(config, create, exclusive) as store:
        accounts = Accounts(store, config)
        try:
            yield accounts
        finally:
            accounts.close()


def valid(schema: bodies.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Data checked by the schema of the same REST body; refused in one line otherwise."""
    try:
        return bodies.load(schema, data)
    except ChatError as exc:
        raise refusal(exc) from None


def refusal(exc: ChatError) -> Refused:
    """A refusal of the server's rules, said on one line."""
    if exc.fields is None:
        return Refused(exc.message)
    return Refused("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.body().items()))


async def user_by_email(store: Store, email: str) -> Row:
    """The user with this e-mail, or refused."""
    row = await store.get_login(email)
    if row is None:
        raise Refused(f"no user with e-mail {email}")
    return row


async def room_by_ref(store: Store, ref: str) -> Row:
    """The room with this id or name, or refused."""
    return await _named(ref, "room", store.get_room, store.room_by_name)


async def user_by_ref(store: Store, ref: str) -> Row:
    """The user with this id or e-mail, or refused."""
    return await _named(ref, "user", store.get_user, store.get_login)


async def _named(ref: str, what: str, by_id: Callable[[int], Awaitable[Row | None]],
                 by_name: Callable[[str], Awaitable[Row | None]]) -> Row:
    """The row a command-line reference names: by id when it reads as one, else by name."""
    ref_id = parse_id(ref)
    row = await (by_id(ref_id) if ref_id is not None else by_name(ref))
    if row is None:
        raise Refused(f"no {what} {ref}")
    return row


def existing_db(config: Config) -> None:
    """Refuse a database file that is not there."""
    if not Path(config.db).is_file():
        raise Refused(f"no database at {config.db}")
