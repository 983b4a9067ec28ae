"""Accounts: registration and login with throttling, password changes, tokens and their expiry."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from aiohttp import web

from . import security
from .config import Config
from .errors import ChatError, forbidden, invalid
from .logins import LoginGate
from .storage import users
from .storage.db import Database, Row
from .throttle import Throttle

if TYPE_CHECKING:
    from .fanout.registry import Registry

LOGIN_FAILED = "Unable to log in with provided credentials."
TOUCH_EVERY = 60.0  # seconds: a token's last use is written at most this often, not on every request


HASHING_NICENESS = 10


def yield_to_the_loop() -> None:
    """Run this password-hashing thread below the event loop's priority (Linux: per thread), so
    that a flood of expensive hashes takes spare CPU, not the CPU every open socket waits on."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: the thread keeps its priority
        pass


TAKEN_FOR_ADMINS = "A user with this email already exists."
# The account and its token are made at once and no e-mail is sent, so a taken address cannot be
# answered as a success; the refusal names no account and takes as long as a registration.
ADDRESS_REFUSED = "This address cannot be registered. If you have an account, log in; otherwise ask an administrator."


class Accounts:
    """Everything about who a caller is; the database keeps only digests of tokens."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.gate = LoginGate(config)
        self.registrations = Throttle(config.register_rate, window=3600.0)
        # Separate bounded pools: hashing new passwords can queue without delaying a login.
        self.hash_pool = ThreadPoolExecutor(config.hash_workers, thread_name_prefix="chat-hash",
                                            initializer=yield_to_the_loop)
        self.login_pool = ThreadPoolExecutor(config.login_workers, thread_name_prefix="chat-login",
                                             initializer=yield_to_the_loop)
        self._dummy_hash: str | None = None

    def close(self) -> None:
        """Stop the hashing threads."""
        self.hash_pool.shutdown(wait=False, cancel_futures=True)
        self.login_pool.shutdown(wait=False, cancel_futures=True)

    async def register(self, data: dict, *, role: str = "member", by_admin: bool = False,
                       address: str | None = None) -> tuple[Row, str]:
        """Create a user and a first token; the rules of open/closed registration apply, and
        registrations from one address are throttled (an admin's are not)."""
        email = data["email"].lower()
        if not by_admin:
            if self.config.registration == "closed":
                raise forbidden("Registration is closed; ask an administrator for an account.")
            domain = self.config.email_domain.lower().lstrip("@")
            if domain and not email.endswith("@" + domain):
                raise invalid({"email": [f"Only addresses at {domain} may register."]})
            wait = self.registrations.retry_after(address)
            if wait:
                raise ChatError("rate_limited", "Too many registrations from this address; try again later.",
                                retry_after=wait)
            self.registrations.reserve(address)
        try:
            password_hash = await security.hash_password(data["password"], self.config.scrypt_n, self.hash_pool)
            user = await users.create_user(
                self.db, email=email, password_hash=password_hash, first_name=data["first_name"],
                last_name=data.get("last_name") or "", role=role, photo=data.get("photo"),
                year=data.get("year"))
        except users.EmailTaken:  # to anyone but an admin, worded as no more than a refusal of the address
            raise invalid({"email": [TAKEN_FOR_ADMINS if by_admin else ADDRESS_REFUSED]}) from None
        finally:
            if not by_admin:
                self.registrations.settle(address, counted=True)
        return user, await self.issue_token(user["id"], address)

    async def issue_token(self, user_id: int, address: str | None = None) -> str:
        """A new token for the user (several devices may each hold one), issued to a client address."""
        token = security.new_token()
        await users.add_token(self.db, user_id, security.token_digest(token), token[:6], address)
        return token

    async def login(self, email: str, password: str, address: str) -> tuple[Row, str]:
        """Check credentials under the login gate (see logins.py); a new token on success."""
        email = email.lower()
        row: Row | None = None

        async def verify() -> bool:
            nonlocal row
            row = await users.get_login(self.db, email)
            stored = row["password_hash"] if row else await self._unknown_user_hash()
            return await security.verify_password(password, stored, self.login_pool) and row is not None

        if not await self.gate.check(email, address, verify):
            raise ChatError("unauthorized", LOGIN_FAILED)
        return row, await self.issue_token(row["id"], address)

    async def change_password(self, user: Row, current: str | None, new: str, address: str,
                              registry: Registry | None = None) -> list[int]:
        """Set a new password if `current` is right (checked under the login gate, as a login is);
        every other token of the user is revoked: returns their ids."""
        if current is None:
            raise invalid({"current_password": ["The current password is required to set a new one."]})

        async def verify() -> bool:
            row = await users.get_login(self.db, user["email"])
            return row is not None and await security.verify_password(
                current, row["password_hash"], self.login_pool)

        if not await self.gate.check(user["email"], address, verify):
            raise invalid({"current_password": ["Wrong password."]})
        return await self.set_password(user["id"], new, keep_token=user["token_id"], registry=registry)

    async def set_password(self, user_id: int, password: str, *, revoke: bool = True,
                           keep_token: int | None = None, registry: Registry | None = None) -> list[int]:
        """Store a new password; with revoke, every token but keep_token goes in the same
        transaction (sockets open with them close, 4001): returns their ids."""
        password_hash = await security.hash_password(password, self.config.scrypt_n, self.hash_pool)
        revoked = await users.set_password(self.db, user_id, password_hash, revoke=revoke, keep_token=keep_token)
        _close_tokens(revoked, registry)
        return revoked

    async def revoke(self, user_id: int, token_ids: list[int] | None,
                     registry: Registry | None = None) -> list[int]:
        """Revoke these tokens of the user (every one with None), closing their sockets (4001); returns
        the ids revoked.

        Without a registry (an admin command, in another process) a running server closes
        those sockets at its next recheck_tokens."""
        revoked = await users.delete_tokens(self.db, user_id, token_ids)
        _close_tokens(revoked, registry)
        return revoked

    async def _unknown_user_hash(self) -> str:
        # Verifying against a real hash keeps an unknown e-mail as slow as a wrong password.
        if self._dummy_hash is None:
            self._dummy_hash = await security.hash_password(security.new_token(), self.config.scrypt_n,
                                                            self.login_pool)
        return self._dummy_hash

    async def user_for_token(self, token: str | None, address: str | None = None) -> Row | None:
        """The user holding this token (with token_id), or None; an expired token is deleted."""
        if not token or len(token) > 128:
            return None
        row = await users.user_by_token(self.db, security.token_digest(token))
        if row is None:
            return None
        if self._expired(row["token_created_at"], row["token_used_at"]):
            await users.delete_tokens(self.db, row["id"], [row["token_id"]])
            return None
        if _since(row["token_used_at"]) > TOUCH_EVERY:
            await users.touch_tokens(self.db, [row["token_id"]], address)
        return row

    async def tokens(self, user: Row) -> list[Row]:
        """The user's tokens that are still valid, oldest first."""
        rows = await users.list_tokens(self.db, user["id"])
        return [row for row in rows if not self._expired(row["created_at"], row["last_used_at"])]

    def _expired(self, created_at: str, used_at: str | None) -> bool:
        lifetime, idle = self.config.token_lifetime, self.config.token_idle
        return bool((lifetime and _since(created_at) > lifetime) or (idle and _since(used_at or created_at) > idle))

    async def recheck_tokens(self, registry: Registry) -> int:
        """Close the sockets whose token was revoked elsewhere or expired (4001); refresh the profiles
        of the rest, and record that their tokens are in use.

        Logout through the API closes its sockets at once; this catches what another process
        changed in the database (the admin `revoke` and `setpassword --revoke-tokens` commands).
        Returns how many sockets were closed.
        """
        ids = registry.token_ids()
        if not ids:
            return 0
        rows = [row for row in await users.users_by_token_ids(self.db, sorted(ids))
                if not self._expired(row["token_created_at"], row["token_used_at"])]
        stale = [row["token_id"] for row in rows if _since(row["token_used_at"]) > TOUCH_EVERY]
        if stale:
            await users.touch_tokens(self.db, stale)
        for user in {row["id"]: row for row in rows}.values():
            registry.update_user(user)
        valid = {row["token_id"] for row in rows}
        return sum(registry.close_token(token_id) for token_id in ids - valid)

    async def authenticate(self, request: web.Request, address: str | None = None) -> Row:
        """The caller of a REST request, from `Authorization: Token|Bearer <key>`; else 401."""
        user = await self.user_for_token(request_token(request), address)
        if user is None:
            raise ChatError("unauthorized", "Authentication credentials were not provided or are invalid.")
        return user


def request_token(request: web.Request, query: bool = False) -> str | None:
    """The token of a request: the Authorization header, or with query=True also ?token=."""
    if query and request.query.get("token"):
        return request.query["token"]
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and key.strip():
        return key.strip()
    return None


def _close_tokens(token_ids: list[int], registry: Registry | None) -> None:
    if registry is not None:
        for token_id in token_ids:
            registry.close_token(token_id)


def _since(iso: str | None) -> float:
    """Seconds since an ISO 8601 time; infinite for None."""
    if iso is None:
        return float("inf")
    return (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
