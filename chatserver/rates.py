"""Rate limits: token buckets per socket and per user, and each socket's budget of error frames."""

from __future__ import annotations

import time
from typing import Hashable

from .errors import ChatError

SERVER_FAULTS = frozenset({"internal", "unavailable"})  # refusals that are the server's doing, never dropped


class Bucket:
    """A token bucket: `rate` per second sustained, `burst` at once; rate 0 lets everything pass."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        if not self.has_one():
            return False
        if self.rate:
            self.tokens -= 1
        return True

    def has_one(self) -> bool:
        """Whether take() would succeed now (refills, takes nothing)."""
        if not self.rate:
            return True
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens >= 1


class UserRates:
    """One bucket per user (or per client address), shared by all their sockets and requests;
    full buckets are forgotten."""

    def __init__(self, rate: float, burst: float, keep: int = 10_000) -> None:
        self.rate, self.burst, self.keep = rate, burst, keep
        self.buckets: dict[Hashable, Bucket] = {}

    def spent(self, key: Hashable) -> bool:
        """Whether key's bucket is empty now (takes nothing)."""
        bucket = self.buckets.get(key)
        return bucket is not None and not bucket.has_one()

    def take(self, key: Hashable) -> bool:
        """Whether key (a user, a client address) may do one more thing now; spends it if so."""
        if not self.rate:  # off: nothing is kept, so no key costs memory
            return True
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.keep:
                self._forget_idle()
            bucket = self.buckets[key] = Bucket(self.rate, self.burst)
        return bucket.take()

    def check(self, user_id: int) -> None:
        """Refuse (429 `rate_limited`) a change past the user's rate."""
        if not self.take(user_id):
            raise ChatError("rate_limited", "Slow down: too many messages in a short time.")

    def _forget_idle(self) -> None:
        now = time.monotonic()
        self.buckets = {uid: b for uid, b in self.buckets.items()
                        if b.tokens + (now - b.stamp) * b.rate < b.burst}


class Refusals:
    """One socket's error frames: `burst` at once then `rate` a second are sent; past that they are
    dropped, and once `close_after` more have been dropped (refilled at `rate`) the socket is to close."""

    __slots__ = ("sent", "dropped")

    def __init__(self, rate: float, burst: float, close_after: float) -> None:
        self.sent = Bucket(rate, burst)
        self.dropped = Bucket(rate, close_after)

    def admit(self, code: str) -> str:
        """"send", "drop" or "close" for the next error frame of this code."""
        if code in SERVER_FAULTS or self.sent.take():
            return "send"
        return "drop" if self.dropped.take() else "close"
