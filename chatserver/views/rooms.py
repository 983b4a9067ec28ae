"""REST: rooms: the caller's, every one, search, create, edit, delete."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..errors import ChatError
from ..keys import ROOM_LISTS, STORE
from ..request import body, caller, json
from ..rules import is_admin
from .room_request import ROOM, managed_room, may_vanish, membership, room_answer, search_query

routes = web.RouteTableDef()


@routes.get("/api/chat/groups/")
async def joined(request: web.Request) -> web.Response:
    """Rooms the caller belongs to, with unread_count and last_message (at most CHAT_ROOM_LIST_RATE a second)."""
    user = await caller(request)
    if not request.app[ROOM_LISTS].take(user["id"]):
        raise ChatError("rate_limited", "The room list was fetched too often; try again in a second.",
                        retry_after=1)
    store = request.app[STORE]
    rows = await store.with_direct_users(await store.user_rooms(user["id"]), user["id"])
    last = await store.last_messages([r["last_message_id"] for r in rows if r["last_message_id"]])
    return json([shapes.joined_room(r, last.get(r["last_message_id"]), user["id"]) for r in rows])


@routes.get("/api/chat/groups/list/")
async def every_room(request: web.Request) -> web.Response:
    """Every active room the caller may see: public ones, and private ones of theirs (all for a site admin)."""
    user = await caller(request)
    return json([shapes.room(r) for r in await request.app[STORE].list_rooms(None, user["id"], is_admin(user))])


@routes.get("/api/chat/groups/search/")
async def search_rooms(request: web.Request) -> web.Response:
    """The rooms of every_room whose name contains q."""
    user = await caller(request)
    found = await request.app[STORE].list_rooms(search_query(request), user["id"], is_admin(user))
    return json([shapes.room(r) for r in found])


@routes.post("/api/chat/create-group/")
async def create(request: web.Request) -> web.Response:
    """A new room owned (and joined) by the caller, with more members."""
    user = await caller(request)
    data = await body(request, bodies.RoomCreate())
    room_id = await membership(request).create(user["id"], data["name"], data["description"], data["members"],
                                               data["kind"])
    return await room_answer(request, room_id, "Room created successfully.", status=201)


@routes.route("PUT", f"/api/chat/edit-group/{ROOM}/")
@routes.route("PATCH", f"/api/chat/edit-group/{ROOM}/")
@may_vanish
async def edit(request: web.Request) -> web.Response:
    """Change a room's name, description, avatar, kind, read_only or members; removed members' sockets close."""
    user, room = await managed_room(request)
    data = await body(request, bodies.RoomUpdate())
    rules.check_kind_change(room, data.get("kind"))
    new_members = data.pop("members", None)
    await membership(request).edit(room["id"], data, new_members, user["id"])
    return await room_answer(request, room["id"], "Room updated successfully.")


@routes.delete(f"/api/chat/delete-group/{ROOM}/")
async def delete(request: web.Request) -> web.Response:
    """Delete a room and everything in it; its sockets close (4004)."""
    _, room = await managed_room(request)
    await membership(request).delete(room["id"])
    return json({"message": "Room deleted successfully."})
