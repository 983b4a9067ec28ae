"""The search index of the messages stored before it existed, built in the background after start."""

from __future__ import annotations

import asyncio
import logging
import time

from .store import Store

log = logging.getLogger("chatserver")
RETRY = 1.0  # seconds before trying again when the database takes no writes
REPORT = 5.0  # seconds between progress lines in the log


class SearchBackfill:
    """Indexes old messages newest first, a transaction at a time; left: the id mark still to go (0: done)."""

    def __init__(self, store: Store, batch: int) -> None:
        self.store = store
        self.batch = batch
        self.left = 0
        self.done = asyncio.Event()

    async def run(self) -> None:
        """Index until every old message is searchable; resumes from the stored mark after a restart."""
        self.left = start = await self.store.search_backfill_left()
        if start:
            log.info("search: indexing the stored messages up to id %d in the background", start)
        reported = time.monotonic()
        while self.left > 0:
            try:
                self.left = await self.store.search_backfill(self.batch)
            except Exception as exc:
                if not self.store.not_taking_writes(exc):
                    raise
                log.warning("search: indexing old messages waits for the database: %s", exc)
                await asyncio.sleep(RETRY)
            if self.left and time.monotonic() - reported >= REPORT:
                reported = time.monotonic()
                log.info("search: old messages below id %d are still to be indexed", self.left + 1)
        if start:
            log.info("search: every stored message is indexed")
        self.done.set()
