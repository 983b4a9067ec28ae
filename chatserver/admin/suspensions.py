"""Admin commands on suspensions: suspend an account (and delete its messages), lift a suspension."""

from __future__ import annotations

import argparse

from .. import bodies
from ..accounts import Accounts
from ..config import Config
from ..fanout.registry import Registry
from ..metrics import Metrics
from ..publisher import Publisher
from ..storage.files import DatabaseLocked
from ..store import Row
from .access import Refused, open_accounts, user_by_ref, valid


async def suspend(config: Config, args: argparse.Namespace) -> int:
    """Suspend a user (by id or e-mail): every token revoked, login refused until unsuspended.

    A running server closes the user's open sockets (4001) within CHAT_TOKEN_RECHECK seconds.
    --delete-messages also deletes every message of theirs, each with its event in the room's
    log; only with the server stopped (while it runs, ask it: POST /api/admin/users/<user_id>/suspend/).
    """
    return await _suspension(config, args, True)


async def unsuspend(config: Config, args: argparse.Namespace) -> int:
    """Lift a user's suspension (by id or e-mail): they may log in again."""
    return await _suspension(config, args, False)


async def _suspension(config: Config, args: argparse.Namespace, suspended: bool) -> int:
    reason = valid(bodies.Suspension(), {"reason": args.reason})["reason"]
    purge = suspended and args.delete_messages
    try:
        async with open_accounts(config, exclusive=purge) as accounts:
            user = await accounts.suspend((await user_by_ref(accounts.store, args.user))["id"], None, suspended, reason)
            deleted = await _purge(accounts, config, user) if purge else 0
    except DatabaseLocked:
        raise Refused("the server is running: stop it to delete messages from here, or ask it with"
                      " POST /api/admin/users/<user_id>/suspend/ {\"delete_messages\": true}") from None
    state = f"suspended since {user['suspended_at']}" if user["suspended_at"] else "not suspended"
    print(f"{user['email']} (id {user['id']}): {state}" + (f"; {deleted} message(s) deleted" if purge else ""))
    return 0


async def _purge(accounts: Accounts, config: Config, user: Row) -> int:
    publisher = Publisher(accounts.store, Registry(), Metrics(), config)  # no sockets here: nobody to tell
    await publisher.start()
    try:
        return await publisher.purge(user)
    finally:
        await publisher.stop()
