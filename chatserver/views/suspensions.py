"""REST: a site admin suspends an account (and may delete every message of it), or lifts the suspension."""

from __future__ import annotations

from aiohttp import web

import asyncio

from .. import schemas, shapes
from ..changes import Change
from ..keys import ACCOUNTS, DB, JOURNAL, REGISTRY
from ..request import base_url, body, caller, json, path_id
from ..storage import messages, rooms
from ..storage.db import Row

routes = web.RouteTableDef()


@routes.post("/api/admin/users/{id:[0-9]+}/suspend/")
async def suspend(request: web.Request) -> web.Response:
    """Suspend a user: every token revoked, their sockets closed (4001), login refused; with
    delete_messages, each of their messages deleted as its author's deletion is (event, frame, file)."""
    return await _set(request, True, "User suspended.")


@routes.post("/api/admin/users/{id:[0-9]+}/unsuspend/")
async def unsuspend(request: web.Request) -> web.Response:
    """Lift a user's suspension: they may log in again."""
    return await _set(request, False, "Suspension lifted.")


async def _set(request: web.Request, suspended: bool, message: str) -> web.Response:
    actor = await caller(request)
    data = await body(request, schemas.Suspension())
    user = await request.app[ACCOUNTS].suspend(path_id(request), actor, suspended, data["reason"],
                                               request.app[REGISTRY])
    deleted = await _delete_messages(request, user) if suspended and data["delete_messages"] else 0
    return json({"message": message, "user": shapes.account(user), "deleted_messages": deleted})


async def _delete_messages(request: web.Request, user: Row) -> int:
    """Delete every live message of the user through the journal, in rooms they left too; returns how many."""
    db, base = request.app[DB], base_url(request)
    found = await messages.live_messages_of(db, user["id"])
    room_rows = {room_id: await rooms.get_room(db, room_id) for room_id in {m["room_id"] for m in found}}
    outcomes = await asyncio.gather(*(
        request.app[JOURNAL].submit(Change("delete", room_rows[m["room_id"]], user,
                                           {"message_id": m["id"], "purge": True}, base=base))
        for m in found if room_rows[m["room_id"]] is not None), return_exceptions=True)
    return sum(not isinstance(outcome, BaseException) for outcome in outcomes)
