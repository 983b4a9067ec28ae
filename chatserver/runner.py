"""The runner `serve` uses: keep-alive from the settings, and every connection accepted through the gate."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .config import Config
from .connections import Gate
from .keys import REFUSED_REQUESTS

RUNNER_ONLY = ("handle_signals", "shutdown_timeout")  # settings of the runner, not of each connection


class Runner(web.AppRunner):
    """The application's runner with the connection settings of config: keep-alive, and connections
    accepted by `listen` through the gate of `connections.py` (a `web.TCPSite` on this runner would bypass it)."""

    def __init__(self, app: web.Application, config: Config, **kwargs: Any) -> None:
        kwargs = {"keepalive_timeout": config.keepalive_timeout, **kwargs}
        super().__init__(app, **kwargs)
        self.config = config
        self.handler_settings = {k: v for k, v in kwargs.items() if k not in RUNNER_ONLY}
        self.listeners: list[asyncio.Server] = []
        self.gate: Gate | None = None

    async def setup(self) -> None:
        await super().setup()
        assert self.server is not None
        settings = {"debug": asyncio.get_running_loop().get_debug(), **self.handler_settings}
        self.gate = Gate(self.server, self.config, self.app[REFUSED_REQUESTS], settings)

    async def listen(self, host: str | None, port: int, **options: Any) -> None:
        """Accept connections on host:port, each through the gate (after `setup`)."""
        assert self.gate is not None, "listen() before setup()"
        self.listeners.append(await asyncio.get_running_loop().create_server(self.gate, host, port, **options))

    @property
    def addresses(self) -> list[Any]:
        return super().addresses + [s.getsockname() for listener in self.listeners for s in listener.sockets]

    async def cleanup(self) -> None:
        for listener in self.listeners:  # stop accepting first, as a site does when it stops
            listener.close()
        self.listeners.clear()
        await super().cleanup()
