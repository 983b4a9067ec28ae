"""About the server itself: Prometheus metrics, the OpenAPI document and its docs page."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

from aiohttp import web

from ..keys import METRICS

routes = web.RouteTableDef()
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Every counter and gauge in the Prometheus text format."""
    return web.Response(body=request.app[METRICS].render().encode(), headers={"Content-Type": PROMETHEUS})


async def _count_response(request: web.Request, response: web.StreamResponse) -> None:
    request.app[METRICS].http_response(response.status)


async def _measure_loop_lag(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[METRICS].loop_lag.run(), name="loop-lag")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def mount(app: web.Application) -> None:
    """Add these routes, count every response by status class, and measure event loop lag."""
    app.router.add_routes(routes)
    app.on_response_prepare.append(_count_response)
    app.cleanup_ctx.append(_measure_loop_lag)
