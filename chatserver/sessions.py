"""Sessions: the tokens a user holds, who holds one, their expiry and their revocation."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from . import security
from .config import Config
from .store import Row, Store

TOUCH_EVERY = 60.0  # seconds: a token's last use is written at most this often, not on every request


class Sessions:
    """Tokens and their lifetimes; the database keeps only their digests."""

    def __init__(self, store: Store, config: Config,
                 on_revoked: Callable[[list[int]], None] | None = None) -> None:
        self.store = store
        self.config = config
        # Told the ids of every token revoked here, so that a server closes their sockets (4001).
        self.on_revoked = on_revoked

    async def issue_token(self, user_id: int, address: str | None = None) -> str:
        """A new token for the user (several devices may each hold one), issued to a client address."""
        token = security.new_token()
        await self.store.add_token(user_id, security.token_digest(token), token[:6], address)
        return token

    async def revoke(self, user_id: int, token_ids: list[int] | None) -> list[int]:
        """Revoke these tokens of the user (every one with None), closing their sockets (4001); returns
        the ids revoked.

        Without on_revoked (an admin command, in another process) a running server closes
        those sockets at its next recheck_tokens."""
        revoked = await self.store.delete_tokens(user_id, token_ids)
        self.revoked(revoked)
        return revoked

    def revoked(self, token_ids: list[int]) -> None:
        """Tell on_revoked that these tokens no longer open anything."""
        if token_ids and self.on_revoked is not None:
            self.on_revoked(token_ids)

    async def user_for_token(self, token: str | None, address: str | None = None) -> Row | None:
        """The user holding this token (with token_id), or None; an expired token is deleted."""
        if not token or len(token) > 128:
            return None
        row = await self.store.user_by_token(security.token_digest(token))
        if row is None:
            return None
        if self._expired(row["token_created_at"], row["token_used_at"]):
            await self.store.delete_tokens(row["id"], [row["token_id"]])
            return None
        if _since(row["token_used_at"]) > TOUCH_EVERY:
            await self.store.touch_tokens([row["token_id"]], address)
        return row

    async def tokens(self, user: Row) -> list[Row]:
        """The user's tokens that are still valid, oldest first."""
        rows = await self.store.list_tokens(user["id"])
        return [row for row in rows if not self._expired(row["created_at"], row["last_used_at"])]

    def _expired(self, created_at: str, used_at: str | None) -> bool:
        lifetime, idle = self.config.token_lifetime, self.config.token_idle
        return bool((lifetime and _since(created_at) > lifetime) or (idle and _since(used_at or created_at) > idle))

    async def recheck_tokens(self, token_ids: set[int]) -> list[Row]:
        """Of the tokens open sockets hold, revoke (on_revoked) those revoked elsewhere or expired;
        record that the rest are in use, and return their holders as the database has them now.

        Logout through the API closes its sockets at once; this catches what another process
        changed in the database (the admin `revoke` and `setpassword --revoke-tokens` commands).
        """
        if not token_ids:
            return []
        rows = [row for row in await self.store.users_by_token_ids(sorted(token_ids))
                if not self._expired(row["token_created_at"], row["token_used_at"])]
        stale = [row["token_id"] for row in rows if _since(row["token_used_at"]) > TOUCH_EVERY]
        if stale:
            await self.store.touch_tokens(stale)
        self.revoked(sorted(token_ids - {row["token_id"] for row in rows}))
        return list({row["id"]: row for row in rows}.values())


def _since(iso: str | None) -> float:
    """Seconds since an ISO 8601 time; infinite for None."""
    if iso is None:
        return float("inf")
    return (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
