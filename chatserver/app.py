"""create_app(config): the whole server as one aiohttp application, with no I/O until it starts."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import AsyncIterator

import aiohttp_cors
from aiohttp import web

from . import media
from .accounts import Accounts
from .config import Config
from .fanout import streams
from .fanout.registry import Registry
from .keys import (ACCOUNTS, BUS, CONFIG, DB, METRICS, PUBLISHER, REFUSED_REQUESTS, REGISTRY, ROOM_LISTS, STORE,
                   UPLOAD_RATES, USER_RATES)
from .metrics import Metrics
from .publisher import Publisher
from .rates import UserRates
from .request import error_middleware
from .views.refusals import refusal_budget
from .routes import add_routes
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
    app[ACCOUNTS] = Accounts(store, config)
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
                await app[ACCOUNTS].recheck_tokens(app[REGISTRY])
                await streams.rooms_changed(app, list(app[REGISTRY].streams))  # e.g. admin addmember
            except Exception:  # a failed check must not end the checking
                log.exception("checking the tokens and rooms of open sockets failed")

    task = asyncio.get_running_loop().create_task(every_interval()) if interval else None
    yield
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _close_sockets(app: web.Application) -> None:
    await app[REGISTRY].shutdown()


def create_app(config: Config) -> web.Application:
    """The application for config; storage opens when it starts, closes when it stops."""
    app = web.Application(middlewares=[refusal_budget, error_middleware], client_max_size=config.max_upload_bytes + 65536)
    app[CONFIG] = config
    metrics = Metrics()
    app[METRICS] = metrics
    registry = Registry(on_slow=lambda peer: metrics.inc("chat_slow_disconnects_total"),
                        activity_interval=config.activity_interval)
    app[REGISTRY] = registry
    app[BUS] = registry
    app[USER_RATES] = UserRates(config.rate_limit, config.rate_burst)
    app[UPLOAD_RATES] = UserRates(config.upload_rate / 60, config.upload_burst)
    app[REFUSED_REQUESTS] = UserRates(config.refused_rate, config.refused_burst)
    app[ROOM_LISTS] = UserRates(config.room_list_rate, config.room_list_burst)
    metrics.gauge("chat_open_sockets", "Open WebSocket connections.", lambda: registry.sockets)
    metrics.gauge("chat_rooms_with_sockets", "Rooms with at least one open socket.", lambda: len(registry.rooms))
    metrics.gauge("chat_user_streams", "Open user streams (/ws/user/), counted in chat_open_sockets too.",
                  lambda: sum(len(streams) for streams in registry.streams.values()))
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_token_recheck)
    app.on_shutdown.append(_close_sockets)
    add_routes(app)
    if config.cors_origins:
        cors = aiohttp_cors.setup(app, defaults={
            origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers="*", allow_methods="*")
            for origin in config.cors_origins})
        for route in list(app.router.routes()):
            if route.resource is not None and route.resource.canonical.startswith("/api/"):
                cors.add(route)
    return app
