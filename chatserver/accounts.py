"""Accounts: registration and login with throttling, and password changes; tokens are in sessions.py."""

from __future__ import annotations

from typing import Callable

from . import rules, security
from .config import Config
from .errors import ChatError, forbidden, invalid, not_found
from .logins import LoginGate
from .sessions import Sessions
from .store import EmailTaken, NoSuchUser, Row, Store
from .throttle import Throttle

LOGIN_FAILED = "Unable to log in with provided credentials."


TAKEN_FOR_ADMINS = "A user with this email already exists."
# The account and its token are made at once and no e-mail is sent, so a taken address cannot be
# answered as a success; the refusal names no account and takes as long as a registration.
ADDRESS_REFUSED = "This address cannot be registered. If you have an account, log in; otherwise ask an administrator."


class Accounts:
    """Who may become a user and prove to be one: the passwords, never kept but as scrypt hashes."""

    def __init__(self, store: Store, config: Config,
                 on_revoked: Callable[[list[int]], None] | None = None) -> None:
        self.store = store
        self.config = config
        self.sessions = Sessions(store, config, on_revoked)
        self.gate = LoginGate(config)
        self.registrations = Throttle(config.register_rate, window=3600.0)
        # Separate bounded pools: hashing new passwords can queue without delaying a login.
        self.hash_pool = security.hashing_pool(config.hash_workers, "chat-hash")
        self.login_pool = security.hashing_pool(config.login_workers, "chat-login")
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
            user = await self.store.create_user(email=email, password_hash=password_hash, first_name=data["first_name"],
                last_name=data.get("last_name") or "", role=role, photo=data.get("photo"),
                year=data.get("year"))
        except EmailTaken:  # to anyone but an admin, worded as no more than a refusal of the address
            raise invalid({"email": [TAKEN_FOR_ADMINS if by_admin else ADDRESS_REFUSED]}) from None
        finally:
            if not by_admin:
                self.registrations.settle(address, counted=True)
        return user, await self.sessions.issue_token(user["id"], address)

    async def login(self, email: str, password: str, address: str) -> tuple[Row, str]:
        """Check credentials under the login gate (see logins.py); a new token on success."""
        email = email.lower()
        row: Row | None = None

        async def verify() -> bool:
            nonlocal row
            row = await self.store.get_login(email)
            stored = row["password_hash"] if row else await self._unknown_user_hash()
            return await security.verify_password(password, stored, self.login_pool) and row is not None

        if not await self.gate.check(email, address, verify):
            raise ChatError("unauthorized", LOGIN_FAILED)
        if row["suspended_at"] is not None:  # told only to whoever knows the password
            raise ChatError("suspended", "This account is suspended; ask an administrator.", status=403)
        return row, await self.sessions.issue_token(row["id"], address)

    async def change_password(self, user: Row, current: str | None, new: str, address: str) -> list[int]:
        """Set a new password if `current` is right (checked under the login gate, as a login is);
        every other token of the user is revoked: returns their ids."""
        if current is None:
            raise invalid({"current_password": ["The current password is required to set a new one."]})

        async def verify() -> bool:
            row = await self.store.get_login(user["email"])
            return row is not None and await security.verify_password(
                current, row["password_hash"], self.login_pool)

        if not await self.gate.check(user["email"], address, verify):
            raise invalid({"current_password": ["Wrong password."]})
        return await self.set_password(user["id"], new, keep_token=user["token_id"])

    async def set_password(self, user_id: int, password: str, *, revoke: bool = True,
                           keep_token: int | None = None) -> list[int]:
        """Store a new password; with revoke, every token but keep_token goes in the same
        transaction (sockets open with them close, 4001): returns their ids."""
        password_hash = await security.hash_password(password, self.config.scrypt_n, self.hash_pool)
        revoked = await self.store.set_password(user_id, password_hash, revoke=revoke, keep_token=keep_token)
        self.sessions.revoked(revoked)
        return revoked

    async def suspend(self, user_id: int, actor: Row | None, suspended: bool = True, reason: str = "") -> Row:
        """Suspend a user (every token revoked, their sockets closed 4001, login refused) or lift it,
        by a site admin (actor) or the command line (None); returns the user as it is now."""
        if actor is not None:
            rules.check_suspension(actor, user_id)
        try:
            _, revoked = await self.store.set_suspended(user_id, actor and actor["id"], suspended, reason)
        except NoSuchUser:
            raise not_found("No such user.") from None
        self.sessions.revoked(revoked)
        return await self.store.get_user(user_id)

    async def _unknown_user_hash(self) -> str:
        # Verifying against a real hash keeps an unknown e-mail as slow as a wrong password.
        if self._dummy_hash is None:
            self._dummy_hash = await security.hash_password(security.new_token(), self.config.scrypt_n,
                                                            self.login_pool)
        return self._dummy_hash
