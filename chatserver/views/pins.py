"""REST: a room's pinned messages."""

from __future__ import annotations

from aiohttp import web

from .. import shapes
from ..keys import DB
from ..request import base_url, json
from ..storage import messages
from .history import member_room
from .room_request import ROOM

routes = web.RouteTableDef()


@routes.get(f"/api/chat/groups/{ROOM}/pins/")
async def pin_list(request: web.Request) -> web.Response:
    """The room's pinned messages, the latest pin first (for members)."""
    user, room = await member_room(request)
    base = base_url(request)
    return json([shapes.message(r, base, user["id"]) for r in await messages.pinned(request.app[DB], room["id"])])
