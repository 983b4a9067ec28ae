"""About the server itself: Prometheus metrics, the OpenAPI document and its docs page."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from pathlib import Path
from typing import AsyncIterator

from aiohttp import web

from .. import openapi
from ..errors import forbidden
from ..keys import CONFIG, METRICS
from ..request import client_address, json

routes = web.RouteTableDef()
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"
APIDOCS = Path(__file__).resolve().parent.parent / "static" / "apidocs.html"


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Every counter and gauge in the Prometheus text format, for allowed addresses or the metrics token."""
    if not _may_read_metrics(request):
        raise forbidden("Metrics are served only to CHAT_METRICS_ALLOW addresses or with CHAT_METRICS_TOKEN.")
    return web.Response(body=request.app[METRICS].render().encode(), headers={"Content-Type": PROMETHEUS})


def _may_read_metrics(request: web.Request) -> bool:
    config = request.app[CONFIG]
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if config.metrics_token and scheme.lower() == "bearer" and hmac.compare_digest(
            key.strip().encode("utf-8", "surrogateescape"), config.metrics_token.encode()):
        return True
    # A proxy we do not trust may relay anyone's request from a local address.
    relayed = "X-Forwarded-For" in request.headers and request.remote not in config.trusted_proxies
    return not relayed and client_address(request) in config.metrics_allow


@routes.get("/api/schema/")
async def schema(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of the REST API."""
    return json(openapi.document(request.app[CONFIG]))


@routes.get("/api/docs/")
async def docs(request: web.Request) -> web.FileResponse:
    """A page that renders /api/schema/ for people; it needs no CDN and works offline."""
    return web.FileResponse(APIDOCS)


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
