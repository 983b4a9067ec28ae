"""The server's metrics in the Prometheus text format, and the count of every response by status."""

from __future__ import annotations

import hmac

from aiohttp import web

from ..errors import forbidden
from ..keys import CONFIG, METRICS
from ..request import client_address

routes = web.RouteTableDef()
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


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


async def count_response(request: web.Request, response: web.StreamResponse) -> None:
    """Count a response by its status class (an on_response_prepare hook)."""
    request.app[METRICS].http_response(response.status)
