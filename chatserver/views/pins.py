"""REST: a room's pinned messages; pinning and unpinning, as the socket's pin_message does."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, shapes
from ..keys import CONFIG, PUBLISHER, STORE
from ..request import base_url, body, json
from ..room_changes import Change
from .history import member_room
from .room_request import ROOM

routes = web.RouteTableDef()


@routes.get(f"/api/chat/groups/{ROOM}/pins/")
async def pin_list(request: web.Request) -> web.Response:
    """The room's pinned messages, the latest pin first (for members)."""
    user, room = await member_room(request)
    base = base_url(request)
    return json([shapes.message(r, base, user["id"]) for r in await request.app[STORE].pinned(room["id"])])


@routes.post(f"/api/chat/groups/{ROOM}/pins/")
async def pin(request: web.Request) -> web.Response:
    """Pin or unpin a message: an event broadcast to the room as message_pinned; answers the message."""
    user, room = await member_room(request)
    data = await body(request, bodies.Pin())
    base = base_url(request)
    committed = await request.app[PUBLISHER].submit(
        Change("pin", room, user, {**data, "limit": request.app[CONFIG].max_pins}, base=base))
    row = await request.app[STORE].get_message(committed.message_id)
    return json(shapes.message(row, base, user["id"]))
