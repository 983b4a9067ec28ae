"""REST: the limits of this server that a client needs before it sends, and the reactions it takes."""

from __future__ import annotations

from aiohttp import web

from ..keys import CONFIG
from ..fields import REACTIONS
from ..request import json

routes = web.RouteTableDef()


@routes.get("/api/config/")
async def client_config(request: web.Request) -> web.Response:
    """What a client must keep to (no token needed: none of it is secret)."""
    config = request.app[CONFIG]
    return json({"max_message_length": config.max_message_length, "max_mentions": config.max_mentions,
                 "max_upload_bytes": config.max_upload_bytes, "reactions": list(REACTIONS)})
