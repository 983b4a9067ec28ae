"""The admin commands' arguments, and their exit status: 2 with one line on stderr when refused."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Awaitable, Callable

from ..config import Config
from ..fields import parse_id
from .access import Refused
from .audit import after_id, audit_export
from .maintenance import backup, check
from .rooms import addmember, createroom
from .suspensions import suspend, unsuspend
from .users import createuser, revoke, setpassword, tokens

Command = Callable[[Config, argparse.Namespace], Awaitable[int]]


def _id(raw: str) -> int:
    """An id typed on the command line (argparse type)."""
    value = parse_id(raw)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a positive integer id, got {raw!r}")
    return value


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

    for fn, summary in ((suspend, "suspend a user's account"), (unsuspend, "lift a user's suspension")):
        p = command(fn, summary)
        p.add_argument("user", help="user id or e-mail")
        p.add_argument("--reason", default="", help="why, kept in the audit log")
        if fn is suspend:
            p.add_argument("--delete-messages", action="store_true",
                           help="also delete every message of the user (only with the server stopped)")

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

    p = sub.add_parser("audit-export", help="write the audit log as JSON lines", description=audit_export.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    server_flags(p)
    p.set_defaults(run=_guarded(audit_export))
    p.add_argument("--room", type=_id, metavar="ID", help="only this room's entries")
    p.add_argument("--after-id", type=after_id, default=0, metavar="N",
                   help="only entries with an id above N (default 0: all)")
