"""The login gate: password guesses are bounded per address, and nobody can lock another user out."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from .config import Config
from .errors import ChatError
from .throttle import Lanes, Throttle


class LoginGate:
    """Who may check a password now, and how many checks run at once.

    Failures are counted per (e-mail, address) pair and per address; either limit refuses (429)
    only the address that failed. Failures of one e-mail from all addresses together only slow
    further wrong guesses at it: a right password from an address that has not failed is let
    in first and answered at once.
    """

    def __init__(self, config: Config) -> None:
        self.pairs = Throttle(config.login_rate)
        self.addresses = Throttle(config.login_address_rate)
        self.emails = Throttle(config.login_rate)
        self.email_lanes = Lanes(config.login_concurrency)
        self.address_lanes = Lanes(config.login_concurrency)
        self.slowdown = config.login_slowdown

    async def check(self, email: str, address: str, verify: Callable[[], Awaitable[bool]]) -> bool:
        """verify()'s answer, run under the limits; 429 when this address may not try now."""
        pair = (email, address)
        wait = max(self.pairs.retry_after(pair), self.addresses.retry_after(address))
        if wait:
            raise ChatError("rate_limited", "Too many failed logins; try again later.", retry_after=wait)
        # The attempt holds its place before the password is checked, so parallel guesses cannot all pass.
        self.pairs.reserve(pair)
        self.addresses.reserve(address)
        right = False
        try:
            async with self.address_lanes.slot(address), \
                    self.email_lanes.slot(email, first=not self.pairs.count(pair)):
                right = await verify()
                if not right:
                    self.emails.add(email)
                    if self.slowdown and self.emails.limit and self.emails.count(email) >= self.emails.limit:
                        await asyncio.sleep(self.slowdown)  # holding the lane: guesses at this e-mail queue
        finally:
            self.pairs.settle(pair, counted=not right)
            self.addresses.settle(address, counted=not right)
        return right
