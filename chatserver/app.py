"""create_app(config): the whole server assembled in one place, with no I/O until it starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from pathlib import Path
from typing import AsyncIterator

import aiohttp_cors
from aiohttp import web

from . import media
from .accounts import Accounts
from .config import Config
from .fanout import streams
from .fanout.bus import Bus
from .fanout.registry import Registry
from .keys import (ACCOUNTS, BUS, CONFIG, DB, METRICS, PUBLISHER, REFUSED_REQUESTS, REGISTRY, ROOM_LISTS,
                   SEARCH_BACKFILL, SESSIONS, STORE, UPLOAD_RATES, USER_RATES)
from .metrics import Metrics
from .publisher import Publisher
from .rates import UserRates
from .search_backfill import SearchBackfill
from .request import error_middleware
from .routes import add_routes, client_headers
from .views.prometheus import count_response
from .views.refusals import refusal_budget
from .storage.db import Database
from .storage.sqlite_store import SqliteStore

log = logging.getLogger("chatserver")


async def _storage(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    Path(config.media_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    db = await Database.open(config.db, config.synchronous, readers=config.db_readers,
                             busy_timeout=config.busy_timeout)
    app[DB] = db
    store = app[STORE] = SqliteStore(db)
    await media.sweep(config, await store.all_attachments())
    app[ACCOUNTS] = Accounts(store, config, on_revoked=partial(_close_tokens, app[BUS]))
    app[SESSIONS] = app[ACCOUNTS].sessions
    publisher = Publisher(store, app[BUS], app[METRICS], config)
    await publisher.start()
    app[PUBLISHER] = publisher
    yield
    await publisher.stop()
    await db.close()
    app[ACCOUNTS].close()


async def _token_recheck(app: web.Application) -> AsyncIterator[None]:
    interval = app[CONFIG].token_recheck

    async def every_interval() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                for user in await app[SESSIONS].recheck_tokens(app[REGISTRY].token_ids()):
                    app[REGISTRY].update_user(user)  # e.g. renamed by another process
                await streams.rooms_changed(app, list(app[REGISTRY].streams))  # e.g. admin addmember
            except Exception:  # a failed check must not end the checking
                log.exception("checking the tokens and rooms of open sockets failed")

    task = asyncio.get_running_loop().create_task(every_interval()) if interval else None
    yield
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _close_tokens(bus: Bus, token_ids: list[int]) -> None:
    for token_id in token_ids:
        bus.close_token(token_id)


async def _close_sockets(app: web.Application) -> None:
    await app[REGISTRY].shutdown()


async def _measure_loop_lag(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[METRICS].loop_lag.run(), name="loop-lag")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _search_backfill(app: web.Application) -> AsyncIterator[None]:
    backfill = app[SEARCH_BACKFILL] = SearchBackfill(app[STORE], app[CONFIG].search_backfill_batch)
    app[METRICS].gauge("chat_search_backfill_left", "Highest id of the stored messages search has yet to index"
                       " (0: all indexed).", lambda: backfill.left)
    task = asyncio.create_task(backfill.run(), name="search-backfill")
    task.add_done_callback(_report_failure)
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("search: indexing old messages failed", exc_info=task.exception())


def _gauge_sockets(metrics: Metrics, registry: Registry) -> None:
    metrics.gauge("chat_open_sockets", "Open WebSocket connections.", lambda: registry.sockets)
    metrics.gauge("chat_rooms_with_sockets", "Rooms with at least one open socket.", lambda: len(registry.rooms))
    metrics.gauge("chat_user_streams", "Open user streams (/ws/user/), counted in chat_open_sockets too.",
                  lambda: sum(len(streams) for streams in registry.streams.values()))


def _allow_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    cors = aiohttp_cors.setup(app, defaults={
        origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers="*", allow_methods="*")
        for origin in origins})
    for route in list(app.router.routes()):
        if route.resource is not None and route.resource.canonical.startswith("/api/"):
            cors.add(route)


def create_app(config: Config) -> web.Application:
    """The whole server for config: its shared state, routes, middleware, hooks and background tasks.

    Nothing here does I/O; the cleanup contexts open storage and start the tasks when the
    application starts, and stop them in reverse order when it stops.
    """
    app = web.Application(middlewares=[refusal_budget, error_middleware], client_max_size=config.max_upload_bytes + 65536)
    app[CONFIG] = config
    metrics = app[METRICS] = Metrics()
    registry = app[REGISTRY] = Registry(on_slow=lambda peer: metrics.inc("chat_slow_disconnects_total"),
                                        activity_interval=config.activity_interval)
    app[BUS] = registry  # the in-process bus: this node's sockets
    app[USER_RATES] = UserRates(config.rate_limit, config.rate_burst)
    app[UPLOAD_RATES] = UserRates(config.upload_rate / 60, config.upload_burst)
    app[REFUSED_REQUESTS] = UserRates(config.refused_rate, config.refused_burst)
    app[ROOM_LISTS] = UserRates(config.room_list_rate, config.room_list_burst)
    _gauge_sockets(metrics, registry)

    add_routes(app)
    app.on_response_prepare.append(count_response)
    app.on_response_prepare.append(client_headers)
    if config.cors_origins:  # after the routes it covers; it adds its own response hook last
        _allow_cors(app, config.cors_origins)

    app.cleanup_ctx.append(_storage)  # the database and its Store, accounts and sessions, the publisher
    app.cleanup_ctx.append(_token_recheck)
    app.cleanup_ctx.append(_measure_loop_lag)
    app.cleanup_ctx.append(_search_backfill)
    app.on_shutdown.append(_close_sockets)
    return app
