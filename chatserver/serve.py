"""Run the server until SIGTERM or SIGINT, then drain: stop accepting, close sockets (1001), finish writes."""

from __future__ import annotations

import asyncio
import logging
import signal

from .app import create_app
from .config import Config
from .logs import AccessLogger
from .runner import Runner

log = logging.getLogger("chatserver")


async def _serve(config: Config, demo: bool) -> None:
    app = create_app(config)
    runner = Runner(app, config, access_log_class=AccessLogger, handle_signals=False, shutdown_timeout=10)
    await runner.setup()
    try:
        await runner.listen(config.host, config.port, reuse_address=True)
        if demo:
            from .demo import seed_demo
            await seed_demo(app, runner)
        host, port = runner.addresses[0][:2]
        log.info("Serving on http://%s:%d", host if ":" not in host else f"[{host}]", port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("Shutting down")
    finally:
        await runner.cleanup()


def serve(config: Config, demo: bool = False) -> int:
    """Serve until told to stop; uvloop is used when installed."""
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_serve(config, demo))
    return 0
