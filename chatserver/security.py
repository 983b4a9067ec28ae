"""Password hashes (scrypt, off the event loop) and API tokens (only their digests are kept)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import threading
from concurrent.futures import Executor, ThreadPoolExecutor

R, P, DKLEN = 8, 1, 32
HASHING_NICENESS = 10


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + (1 << 20), dklen=DKLEN)


def hash_password_sync(password: str, n: int) -> str:
    """scrypt$N$r$p$salt$hash; the parameters live in the string so they can be raised later."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, R, P)
    b64 = base64.b64encode
    return f"scrypt${n}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password_sync(password: str, stored: str) -> bool:
    """Whether password matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def yield_to_the_loop() -> None:
    """Run this password-hashing thread below the event loop's priority (Linux: per thread), so
    that a flood of expensive hashes takes spare CPU, not the CPU every open socket waits on."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: the thread keeps its priority
        pass


def hashing_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """A bounded pool of hashing threads that yield to the event loop."""
    return ThreadPoolExecutor(workers, thread_name_prefix=name, initializer=yield_to_the_loop)


async def hash_password(password: str, n: int, pool: Executor | None = None) -> str:
    """hash_password_sync in a worker thread of pool (else the loop's), so live rooms never wait for it."""
    return await asyncio.get_running_loop().run_in_executor(pool, hash_password_sync, password, n)


async def verify_password(password: str, stored: str, pool: Executor | None = None) -> bool:
    """verify_password_sync in a worker thread of pool (else the loop's)."""
    return await asyncio.get_running_loop().run_in_executor(pool, verify_password_sync, password, stored)


def new_token() -> str:
    """40 lowercase hex characters from the OS CSPRNG, as Django REST Framework issues them."""
    return secrets.token_hex(20)


def token_digest(token: str) -> str:
    """The SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
