"""Accounts: registration, login with throttling, token authentication, logout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import security
from .config import Config
from .errors import ChatError, forbidden, invalid
from .logins import LoginGate
from .storage import users
from .storage.db import Database, Row

if TYPE_CHECKING:
    from .realtime.registry import Registry

LOGIN_FAILED = "Unable to log in with provided credentials."


class Accounts:
    """Everything about who a caller is; the database keeps only digests of tokens."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.gate = LoginGate(config)
        self._dummy_hash: str | None = None

    async def register(self, data: dict, *, role: str = "member", by_admin: bool = False) -> tuple[Row, str]:
        """Create a user and a first token; the rules of open/closed registration apply."""
        email = data["email"].lower()
        if not by_admin:
            if self.config.registration == "closed":
                raise forbidden("Registration is closed; ask an administrator for an account.")
            domain = self.config.email_domain.lower().lstrip("@")
            if domain and not email.endswith("@" + domain):
                raise invalid({"email": [f"Only addresses at {domain} may register."]})
        password_hash = await security.hash_password(data["password"], self.config.scrypt_n)
        try:
            user = await users.create_user(
                self.db, email=email, password_hash=password_hash, first_name=data["first_name"],
                last_name=data.get("last_name") or "", role=role, photo=data.get("photo"),
                year=data.get("year"))
        except users.EmailTaken:
            raise invalid({"email": ["A user with this email already exists."]}) from None
        return user, await self.issue_token(user["id"])

    async def issue_token(self, user_id: int) -> str:
        """A new token for the user (several devices may each hold one)."""
        token = security.new_token()
        await users.add_token(self.db, user_id, security.token_digest(token), token[:6])
        return token

    async def login(self, email: str, password: str, address: str) -> tuple[Row, str]:
        """Check credentials under the login gate (see logins.py); a new token on success."""
        email = email.lower()
        row: Row | None = None

        async def verify() -> bool:
            nonlocal row
            row = await users.get_login(self.db, email)
            stored = row["password_hash"] if row else await self._unknown_user_hash()
            return await security.verify_password(password, stored) and row is not None

        if not await self.gate.check(email, address, verify):
            raise ChatError("unauthorized", LOGIN_FAILED)
        return row, await self.issue_token(row["id"])

    async def _unknown_user_hash(self) -> str:
        # Verifying against a real hash keeps an unknown e-mail as slow as a wrong password.
        if self._dummy_hash is None:
            self._dummy_hash = await security.hash_password(security.new_token(), self.config.scrypt_n)
        return self._dummy_hash

    async def user_for_token(self, token: str | None) -> Row | None:
        """The user holding this token (with token_id), or None."""
        if not token or len(token) > 128:
            return None
        return await users.user_by_token(self.db, security.token_digest(token))

    async def recheck_tokens(self, registry: Registry) -> int:
        """Close the sockets whose token was revoked elsewhere (4001); refresh the profiles of the rest.

        Logout through the API closes its sockets at once; this catches what another process
        changed in the database (the admin `revoke` and `setpassword --revoke-tokens` commands).
        Returns how many sockets were closed.
        """
        ids = registry.token_ids()
        if not ids:
            return 0
        rows = await users.users_by_token_ids(self.db, sorted(ids))
        for user in {row["id"]: row for row in rows}.values():
            registry.update_user(user)
        valid = {row["token_id"] for row in rows}
        return sum(registry.close_token(token_id) for token_id in ids - valid)

    async def authenticate(self, request: web.Request) -> Row:
        """The caller of a REST request, from `Authorization: Token|Bearer <key>`; else 401."""
        user = await self.user_for_token(request_token(request))
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
