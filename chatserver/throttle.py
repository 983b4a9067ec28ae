"""Throttles: attempts per key in a sliding window, and lanes bounding the work in flight per key."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator, Hashable

SWEEP_EVERY = 1000


class Throttle:
    """At most `limit` counted attempts per key in a sliding `window`; attempts in flight count too."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: dict[Hashable, deque[float]] = {}
        self._pending: dict[Hashable, int] = {}
        self._added = 0

    def count(self, key: Hashable) -> int:
        """Attempts of key counted in the window, without those in flight."""
        times = self._times.get(key)
        now = time.monotonic()
        while times and now - times[0] > self.window:
            times.popleft()
        if times is not None and not times:
            del self._times[key]
        return len(times or ())

    def retry_after(self, key: Hashable) -> int:
        """Seconds until key may try again; 0 if it may now."""
        if not self.limit or self.count(key) + self._pending.get(key, 0) < self.limit:
            return 0
        times = self._times.get(key)
        if not times or len(times) < self.limit:
            return 1  # only attempts in flight stand in the way: they end within a second or so
        return int(self.window - (time.monotonic() - times[-self.limit])) + 1

    def reserve(self, key: Hashable) -> None:
        """Hold a place for an attempt before doing it, so parallel attempts cannot all pass the check."""
        if self.limit:
            self._pending[key] = self._pending.get(key, 0) + 1

    def settle(self, key: Hashable, counted: bool) -> None:
        """End a reserved attempt; counted keeps it in the window (a failure, or any registration)."""
        if not self.limit:
            return
        left = self._pending.pop(key) - 1
        if left:
            self._pending[key] = left
        if counted:
            self.add(key)

    def add(self, key: Hashable) -> None:
        """Count an attempt of key now."""
        if not self.limit:
            return
        self._times.setdefault(key, deque()).append(time.monotonic())
        self._added += 1
        if self._added % SWEEP_EVERY == 0:  # keys never seen again (made-up e-mails) must not pile up
            for old in list(self._times):
                self.count(old)


class Lanes:
    """At most `width` holders per key at once; waiters marked first are let in before the others."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._busy: dict[Hashable, int] = {}
        self._waiting: dict[Hashable, list[tuple[bool, asyncio.Future[None]]]] = {}

    @asynccontextmanager
    async def slot(self, key: Hashable, first: bool = False) -> AsyncIterator[None]:
        """Hold one of key's slots for the block, waiting for one if all are taken."""
        if not self.width:
            yield
            return
        await self._acquire(key, first)
        try:
            yield
        finally:
            self._release(key)

    def busy(self, key: Hashable) -> int:
        """Slots of key held now."""
        return self._busy.get(key, 0)

    async def _acquire(self, key: Hashable, first: bool) -> None:
        if self._busy.get(key, 0) < self.width and not self._waiting.get(key):
            self._busy[key] = self._busy.get(key, 0) + 1
            return
        waiter = (first, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(key, []).append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            if waiter[1].done() and not waiter[1].cancelled():
                self._release(key)  # handed a slot just as it was cancelled: pass it on
            else:
                queue = self._waiting[key]
                queue.remove(waiter)
                if not queue:
                    del self._waiting[key]
            raise

    def _release(self, key: Hashable) -> None:
        queue = self._waiting.get(key)
        if not queue:
            self._busy[key] -= 1
            if not self._busy[key]:
                del self._busy[key]
            return
        index = next((i for i, (first, _) in enumerate(queue) if first), 0)
        _, future = queue.pop(index)
        if not queue:
            del self._waiting[key]
        future.set_result(None)  # the slot passes to the waiter: busy stays the same
