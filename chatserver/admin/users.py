"""Admin commands on users: create one, reset a password, list and revoke tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from .. import bodies
from ..config import Config
from ..errors import ChatError
from .access import Refused, open_accounts, open_database, user_by_email, valid


async def createuser(config: Config, args: argparse.Namespace) -> int:
    """Create a user (an admin with --admin), even with registration closed; prints id and a token.

    The password is asked for twice on a terminal, or read as one line of standard input;
    --password also works but puts it on the command line, where other local users can read it.
    """
    data = valid(bodies.Register(), {"email": args.email, "password": _new_password(args),
                                       "first_name": args.first_name, "last_name": args.last_name or ""})
    async with open_accounts(config, create=True) as accounts:
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
    password = valid(bodies.ProfileUpdate(), {"password": _new_password(args)})["password"]
    async with open_accounts(config) as accounts:
        user = await user_by_email(accounts.store, args.email)
        revoked = await accounts.set_password(user["id"], password, revoke=args.revoke_tokens)
    print(f"password changed for {user['email']}" + (f"; revoked {len(revoked)} token(s)" if revoked else ""))
    return 0


async def tokens(config: Config, args: argparse.Namespace) -> int:
    """List a user's tokens: id, first characters, when it was issued."""
    async with open_database(config) as store:
        rows = await store.list_tokens((await user_by_email(store, args.email))["id"])
    print(f"{'id':>6}  {'prefix':<10}  created")
    for row in rows:
        print(f"{row['id']:>6}  {row['prefix'] + '...':<10}  {row['created_at']}")
    return 0


async def revoke(config: Config, args: argparse.Namespace) -> int:
    """Revoke one or more of a user's tokens by id, or all of them.

    REST requests and new sockets with a revoked token fail at once; a running server closes
    the sockets already open with it (4001) within CHAT_TOKEN_RECHECK seconds.
    """
    async with open_accounts(config) as accounts:
        user = await user_by_email(accounts.store, args.email)
        if args.token:
            owned = {row["id"] for row in await accounts.store.list_tokens(user["id"])}
            strangers = [t for t in args.token if t not in owned]
            if strangers:
                raise Refused(f"not tokens of {user['email']}: {', '.join(map(str, strangers))}")
        revoked = await accounts.sessions.revoke(user["id"], None if args.all else args.token)
    print(f"revoked {len(revoked)} token(s) of {user['email']}: {' '.join(map(str, revoked)) or '-'}")
    return 0
