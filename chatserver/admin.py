"""Admin commands: `python run.py <command> --help`; each one works while the server runs."""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from . import rules, schemas
from .accounts import Accounts
from .config import Config
from .errors import ChatError
from .membership import Membership
from .storage import rooms, users
from .storage.db import SCHEMA_VERSION, Database, Row, backup_file, inspect

Command = Callable[[Config, argparse.Namespace], Awaitable[int]]


# Exit status: 0 done; 2 refused as given (one line on stderr, nothing changed); 1 the database
# failed or, for `check`, has a problem.
class Refused(Exception):
    """The command cannot be carried out as given, and nothing was changed; the message says why."""


def _id(raw: str) -> int:
    """An id typed on the command line (argparse type)."""
    value = schemas.parse_id(raw)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a positive integer id, got {raw!r}")
    return value


@asynccontextmanager
async def _database(config: Config, create: bool = False) -> AsyncIterator[Database]:
    if not create:
        _existing_db(config)  # a mistyped --db must not leave a new empty database behind
    # Not exclusive: the server holds the one-server lock while it runs, and that is fine.
    db = await Database.open(config.db, config.synchronous, exclusive=False)
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def _accounts(config: Config, create: bool = False) -> AsyncIterator[Accounts]:
    async with _database(config, create) as db:
        accounts = Accounts(db, config)
        try:
            yield accounts
        finally:
            accounts.close()


def _valid(schema: schemas.Schema, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schemas.load(schema, data)
    except ChatError as exc:
        raise _refused(exc) from None


def _refused(exc: ChatError) -> Refused:
    """A refusal of the server's rules, said on one line."""
    return Refused("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.body().items()))


async def _user(db: Database, email: str) -> Row:
    row = await users.get_login(db, email)
    if row is None:
        raise Refused(f"no user with e-mail {email}")
    return row


async def _room(db: Database, ref: str) -> Row:
    room_id = schemas.parse_id(ref)
    row = await (rooms.get_room(db, room_id) if room_id is not None else rooms.room_by_name(db, ref))
    if row is None:
        raise Refused(f"no room {ref}")
    return row


def _existing_db(config: Config) -> None:
    if not Path(config.db).is_file():
        raise Refused(f"no database at {config.db}")


async def createuser(config: Config, args: argparse.Namespace) -> int:
    """Create a user (an admin with --admin), even with registration closed; prints id and a token.

    The password is asked for twice on a terminal, or read as one line of standard input;
    --password also works but puts it on the command line, where other local users can read it.
    """
    data = _valid(schemas.Register(), {"email": args.email, "password": _new_password(args),
                                       "first_name": args.first_name, "last_name": args.last_name or ""})
    async with _accounts(config, create=True) as accounts:
        try:
            user, token = await accounts.register(data, role="admin" if args.admin else "member", by_admin=True)
        except ChatError as exc:
            raise Refused(" ".join(str(v) for v in exc.body().values())) from None
    print(f"created user id={user['id']} email={user['email']} role={user['role']}")
    print(f"token={token}")
    return 0


def _new_password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return args.password
    if sys.stdin.isatty():
        first, again = getpass.getpass("Password: "), getpass.getpass("Again: ")
        if first != again:
            raise Refused("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def setpassword(config: Config, args: argparse.Namespace) -> int:
    """Reset a user's password (from --password, a prompt, or one line of standard input)."""
    password = _valid(schemas.ProfileUpdate(), {"password": _new_password(args)})["password"]
    async with _accounts(config) as accounts:
        user = await _user(accounts.db, args.email)
        revoked = await accounts.set_password(user["id"], password, revoke=args.revoke_tokens)
    print(f"password changed for {user['email']}" + (f"; revoked {len(revoked)} token(s)" if revoked else ""))
    return 0


async def tokens(config: Config, args: argparse.Namespace) -> int:
    """List a user's tokens: id, first characters, when it was issued."""
    async with _database(config) as db:
        rows = await users.list_tokens(db, (await _user(db, args.email))["id"])
    print(f"{'id':>6}  {'prefix':<10}  created")
    for row in rows:
        print(f"{row['id']:>6}  {row['prefix'] + '...':<10}  {row['created_at']}")
    return 0


async def revoke(config: Config, args: argparse.Namespace) -> int:
    """Revoke one or more of a user's tokens by id, or all of them.

    REST requests and new sockets with a revoked token fail at once; a running server closes
    the sockets already open with it (4001) within CHAT_TOKEN_RECHECK seconds.
    """
    async with _accounts(config) as accounts:
        user = await _user(accounts.db, args.email)
        if args.token:
            owned = {row["id"] for row in await users.list_tokens(accounts.db, user["id"])}
            strangers = [t for t in args.token if t not in owned]
            if strangers:
                raise Refused(f"not tokens of {user['email']}: {', '.join(map(str, strangers))}")
        revoked = await accounts.revoke(user["id"], None if args.all else args.token)
    print(f"revoked {len(revoked)} token(s) of {user['email']}: {' '.join(map(str, revoked)) or '-'}")
    return 0


async def createroom(config: Config, args: argparse.Namespace) -> int:
    """Create a room owned by a user, with more members; prints its id."""
    data = _valid(schemas.RoomCreate(), {"name": args.name, "description": args.description})
    async with _database(config) as db:
        owner = await _user(db, args.owner)
        member_ids = [(await _user(db, email))["id"] for email in args.member]
        try:
            room_id = await Membership(db, config).create(owner["id"], data["name"], data["description"], member_ids)
        except ChatError as exc:
            raise _refused(exc) from None
        room = await rooms.get_room(db, room_id)
    print(f"created room id={room_id} name={room['name']} owner={owner['email']} members={room['members_count']}")
    return 0


async def addmember(config: Config, args: argparse.Namespace) -> int:
    """Add users (by e-mail) to a room (by id or name); a running server tells their user streams
    within CHAT_TOKEN_RECHECK seconds."""
    async with _database(config) as db:
        room = await _room(db, args.room)
        try:
            rules.check_not_direct(room)
        except ChatError as exc:
            raise Refused(exc.message) from None
        people = [await _user(db, email) for email in args.email]
        membership = Membership(db, config)
        for user in people:
            try:
                await membership.add(room["id"], user["id"])
                done = "added to"
            except ChatError as exc:
                if exc.code != "already_member":
                    raise _refused(exc) from None
                done = "already a member of"
            print(f"{user['email']}: {done} {room['name']} (id {room['id']})")
    return 0


class _Progress:
    """Pages copied out of the total on stderr: rewritten in place on a terminal, every tenth otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, status: int, remaining: int, total: int) -> None:
        done = total - remaining
        tenth = done * 10 // max(total, 1)
        if self.tty:
            print(f"\rbackup: {done}/{total} pages ({done * 100 // max(total, 1)}%)", end="", file=sys.stderr)
        elif tenth != self.shown:
            print(f"backup: {done}/{total} pages", file=sys.stderr)
        self.shown = tenth


async def backup(config: Config, args: argparse.Namespace) -> int:
    """Copy the database to a file with SQLite's online backup API (safe while the server runs)."""
    _existing_db(config)
    target = Path(args.file)
    if target.resolve() == Path(config.db).resolve():
        raise Refused("the backup cannot replace the database it copies")
    if not target.parent.is_dir():
        raise Refused(f"no folder {target.parent}")
    if target.exists() and not args.force:
        raise Refused(f"{target} exists; pass --force to replace it")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # a copy is as private as the original
    started = time.monotonic()
    progress = _Progress()
    await backup_file(config.db, str(partial), progress)
    if progress.tty:
        print(file=sys.stderr)
    os.replace(partial, target)  # a reader of target never sees half a copy
    print(f"backup of {config.db} written to {target} ({target.stat().st_size} bytes,"
          f" {time.monotonic() - started:.1f}s)")
    return 0


async def check(config: Config, args: argparse.Namespace) -> int:
    """Check the database: integrity, foreign keys, every room's seq numbering, and the schema
    version; exit 1 on any problem."""
    _existing_db(config)
    try:
        version, findings = await inspect(config.db)
    except sqlite3.DatabaseError as exc:  # the file's fault, not the input's: a finding, exit 1
        print(f"chatserver: check: {config.db}: {exc}", file=sys.stderr)
        return 1
    sound = not findings
    print(f"integrity: {'ok' if sound else 'FAILED'}")
    for line in findings:
        print(f"  {line}")
    print(f"schema version: {version} (this server: {SCHEMA_VERSION})"
          + ("" if version == SCHEMA_VERSION else " MISMATCH"))
    return 0 if sound and version == SCHEMA_VERSION else 1


def _guarded(command: Command) -> Command:
    async def run(config: Config, args: argparse.Namespace) -> int:
        try:
            return await command(config, args)
        except Refused as exc:
            print(f"chatserver: {command.__name__}: {exc}", file=sys.stderr)
            return 2
    return run


def add_commands(sub: Any, server_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register every admin command on the subparsers."""
    def command(fn: Command, summary: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(fn.__name__, help=summary, description=fn.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        server_flags(parser)
        parser.set_defaults(run=_guarded(fn))
        return parser

    p = command(createuser, "create a user or an admin")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="the password (8+ characters); omit to be asked: on the command"
                   " line it is visible to every local user (ps, /proc) and may land in the shell history")
    p.add_argument("--first-name", required=True)
    p.add_argument("--last-name")
    p.add_argument("--admin", action="store_true", help="make the user a site admin")

    p = command(setpassword, "reset a user's password")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="the new password (8+ characters); omit to be asked: on the command"
                   " line it is visible to every local user (ps, /proc)")
    p.add_argument("--revoke-tokens", action="store_true", help="also log the user out everywhere")

    command(tokens, "list a user's tokens").add_argument("--email", required=True)

    p = command(revoke, "revoke a user's tokens")
    p.add_argument("--email", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", type=_id, action="append", metavar="ID", help="a token id (repeatable)")
    which.add_argument("--all", action="store_true", help="every token of the user")

    p = command(createroom, "create a room")
    p.add_argument("--name", required=True)
    p.add_argument("--owner", required=True, metavar="EMAIL")
    p.add_argument("--description", default="")
    p.add_argument("--member", action="append", default=[], metavar="EMAIL", help="a member (repeatable)")

    p = command(addmember, "add users to a room")
    p.add_argument("--room", required=True, help="room id or name")
    p.add_argument("--email", required=True, action="append", help="a user to add (repeatable)")

    p = command(backup, "online backup of the database to a file")
    p.add_argument("file", help="where to write the copy")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")

    command(check, "check the database's integrity and schema version")
