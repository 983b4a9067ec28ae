"""REST: health, for load balancers and process supervisors."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from aiohttp import web

from ..keys import PUBLISHER, STORE
from ..request import json

routes = web.RouteTableDef()
log = logging.getLogger("chatserver")
TIMEOUT = 2.0  # seconds; a database slower than this is as good as down to a load balancer


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers a query and takes writes, else 503."""
    detail = "The database does not answer."
    try:
        async with asyncio.timeout(TIMEOUT):
            healthy = await request.app[STORE].ping()
            if healthy:
                detail = "The database does not take writes."
                healthy = await request.app[PUBLISHER].writable()
    except (sqlite3.Error, ValueError, TimeoutError) as exc:  # a closed database raises ValueError
        log.warning("health check failed: %s", exc)
        healthy = False
    if healthy:
        return json({"status": "ok"})
    return json({"status": "unavailable", "detail": detail}, status=503)
