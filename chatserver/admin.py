"""Admin commands: `python run.py <command> --help`."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from .accounts import Accounts
from .config import Config
from .storage.db import Database


async def createuser(config: Config, args: argparse.Namespace) -> int:
    """Create a user (an admin with --admin), even with registration closed; prints id and a token."""
    db = await Database.open(config.db, config.synchronous, exclusive=False)
    try:
        accounts = Accounts(db, config)
        from .errors import ChatError
        try:
            user, token = await accounts.register(
                {"email": args.email, "password": args.password, "first_name": args.first_name,
                 "last_name": args.last_name or ""}, role="admin" if args.admin else "member", by_admin=True)
        except ChatError as exc:
            print(f"chatserver: {exc.body()}")
            return 1
        print(f"created user id={user['id']} email={user['email']} role={user['role']}")
        print(f"token={token}")
        return 0
    finally:
        await db.close()


def add_commands(sub: Any, server_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register every admin command on the subparsers."""
    p = sub.add_parser("createuser", help="create a user or an admin", description=createuser.__doc__)
    server_flags(p)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--first-name", required=True)
    p.add_argument("--last-name")
    p.add_argument("--admin", action="store_true", help="make the user a site admin")
    p.set_defaults(run=createuser)
