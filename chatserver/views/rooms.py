"""REST: rooms: the caller's, every one, search, create, edit, delete."""

from __future__ import annotations

from aiohttp import web

from .. import rules, schemas, shapes
from ..errors import invalid
from ..fanout import streams
from ..keys import DB, JOURNAL, REGISTRY
from ..request import body, caller, json
from ..storage import messages, rooms
from .room_request import ROOM, managed_room, may_vanish, room_answer, search_query

routes = web.RouteTableDef()
NAME_TAKEN = {"name": ["A room with this name already exists."]}


@routes.get("/api/chat/groups/")
async def joined(request: web.Request) -> web.Response:
    """Rooms the caller belongs to, with unread_count and last_message."""
    user = await caller(request)
    db = request.app[DB]
    rows = await rooms.user_rooms(db, user["id"])
    last = await messages.last_messages(db, [r["last_message_id"] for r in rows if r["last_message_id"]])
    return json([shapes.joined_room(r, last.get(r["last_message_id"]), user["id"]) for r in rows])


@routes.get("/api/chat/groups/list/")
async def every_room(request: web.Request) -> web.Response:
    """Every active room."""
    await caller(request)
    return json([shapes.room(r) for r in await rooms.list_rooms(request.app[DB])])


@routes.get("/api/chat/groups/search/")
async def search_rooms(request: web.Request) -> web.Response:
    """Active rooms whose name contains q."""
    await caller(request)
    return json([shapes.room(r) for r in await rooms.list_rooms(request.app[DB], search_query(request))])


@routes.post("/api/chat/create-group/")
async def create(request: web.Request) -> web.Response:
    """A new room owned (and joined) by the caller, with more members."""
    user = await caller(request)
    data = await body(request, schemas.RoomCreate())
    db = request.app[DB]
    rules.check_users_exist(await rooms.missing_users(db, data["members"]), "members")
    try:
        room_id = await rooms.create_room(db, name=data["name"], description=data["description"],
                                          owner_id=user["id"], member_ids=data["members"])
    except rooms.RoomNameTaken:
        raise invalid(NAME_TAKEN) from None
    await streams.rooms_changed(request.app, [user["id"], *data["members"]])
    return await room_answer(request, room_id, "Room created successfully.", status=201)


@routes.route("PUT", f"/api/chat/edit-group/{ROOM}/")
@routes.route("PATCH", f"/api/chat/edit-group/{ROOM}/")
@may_vanish
async def edit(request: web.Request) -> web.Response:
    """Change a room's name, description, avatar or members; removed members' sockets close."""
    _, room = await managed_room(request)
    data = await body(request, schemas.RoomUpdate())
    db = request.app[DB]
    told = streams.followers(request.app, room["id"])
    new_members = data.pop("members", None)
    if new_members is not None:
        rules.check_users_exist(await rooms.missing_users(db, new_members), "members")
    try:
        removed = await rooms.update_room(db, room["id"], data, new_members)
    except rooms.RoomNameTaken:
        raise invalid(NAME_TAKEN) from None
    request.app[JOURNAL].forget_room(room["id"])  # new messages carry the new name
    for user_id in removed:
        request.app[REGISTRY].close_member(room["id"], user_id)
    await streams.rooms_changed(request.app, told | set(new_members or ()), always=True)
    return await room_answer(request, room["id"], "Room updated successfully.")


@routes.delete(f"/api/chat/delete-group/{ROOM}/")
async def delete(request: web.Request) -> web.Response:
    """Delete a room and everything in it; its sockets close (4004)."""
    _, room = await managed_room(request)
    told = streams.followers(request.app, room["id"])
    await request.app[JOURNAL].delete_room(room["id"])
    request.app[REGISTRY].close_room(room["id"])
    await streams.rooms_changed(request.app, told)
    return json({"message": "Room deleted successfully."})
