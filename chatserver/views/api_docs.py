"""The REST API described: its OpenAPI document, and a page that renders it for people."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .. import openapi
from ..keys import CONFIG
from ..request import json

routes = web.RouteTableDef()
APIDOCS = Path(__file__).resolve().parent.parent / "static" / "apidocs.html"


@routes.get("/api/schema/")
async def schema(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of the REST API."""
    return json(openapi.document(request.app[CONFIG]))


@routes.get("/api/docs/")
async def docs(request: web.Request) -> web.FileResponse:
    """A page that renders /api/schema/ for people; it needs no CDN and works offline."""
    return web.FileResponse(APIDOCS)
