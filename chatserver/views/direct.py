"""REST: direct rooms (the one room of two users) and the caller's blocks."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..errors import not_found
from ..keys import STORE
from ..request import body, caller, json, path_id
from .room_request import membership, room_answer

routes = web.RouteTableDef()


@routes.post("/api/chat/direct/")
async def open_direct(request: web.Request) -> web.Response:
    """The direct room of the caller and user_id: 201 when created, 200 when it existed (403 blocked)."""
    user = await caller(request)
    data = await body(request, bodies.OtherUser())
    room_id, created = await membership(request).open_direct(user, data["user_id"])
    if created:
        return await room_answer(request, room_id, "Direct room created.", status=201)
    return await room_answer(request, room_id, "Direct room found.")


@routes.get("/api/user/blocks/")
async def blocks(request: web.Request) -> web.Response:
    """The users the caller blocks, oldest block first."""
    user = await caller(request)
    return json([shapes.block(row) for row in await request.app[STORE].blocks_of(user["id"])])


@routes.post("/api/user/blocks/")
async def block(request: web.Request) -> web.Response:
    """The caller blocks user_id: 201 when new, 200 when the block stood already."""
    user = await caller(request)
    other_id = (await body(request, bodies.OtherUser()))["user_id"]
    rules.check_direct_partner(user["id"], other_id)
    store = request.app[STORE]
    rules.check_users_exist(await store.missing_users([other_id]), "user_id")
    created = await store.block_user(user["id"], other_id)
    if not created:
        return json({"message": "User was already blocked."})
    return json({"message": "User blocked."}, status=201)


@routes.delete("/api/user/blocks/{user_id:[0-9]+}/")
async def unblock(request: web.Request) -> web.Response:
    """The caller lifts a block (404 when there was none)."""
    user = await caller(request)
    if not await request.app[STORE].unblock_user(user["id"], path_id(request, "user_id")):
        raise not_found("You do not block that user.")
    return json({"message": "User unblocked."})
