"""REST: a site admin suspends an account (and may delete every message of it), or lifts the suspension."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, shapes
from ..keys import ACCOUNTS, PUBLISHER
from ..request import base_url, body, caller, json, path_id

routes = web.RouteTableDef()


@routes.post("/api/admin/users/{user_id:[0-9]+}/suspend/")
async def suspend(request: web.Request) -> web.Response:
    """Suspend a user: every token revoked, their sockets closed (4001), login refused; with
    delete_messages, each of their messages deleted as its author's deletion is (event, frame, file)."""
    return await _set(request, True, "User suspended.")


@routes.post("/api/admin/users/{user_id:[0-9]+}/unsuspend/")
async def unsuspend(request: web.Request) -> web.Response:
    """Lift a user's suspension: they may log in again."""
    return await _set(request, False, "Suspension lifted.")


async def _set(request: web.Request, suspended: bool, message: str) -> web.Response:
    actor = await caller(request)
    data = await body(request, bodies.Suspension())
    user = await request.app[ACCOUNTS].suspend(path_id(request, "user_id"), actor, suspended, data["reason"])
    purge = suspended and data["delete_messages"]
    deleted = await request.app[PUBLISHER].purge(user, base_url(request)) if purge else 0
    return json({"message": message, "user": shapes.account(user), "deleted_messages": deleted})

