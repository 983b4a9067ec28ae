"""REST: rooms, membership and read positions."""

from __future__ import annotations

import functools
from typing import Awaitable, Callable

from aiohttp import web

from .. import rules, schemas, shapes
from ..errors import invalid, not_found
from ..keys import DB, JOURNAL, REGISTRY
from ..schemas import load
from ..storage import messages, rooms, users
from ..storage.db import Row
from .request import body, caller, json, path_id

routes = web.RouteTableDef()
ROOM = "{id:[0-9]+}"
Handler = Callable[[web.Request], Awaitable[web.Response]]
NAME_TAKEN = {"name": ["A room with this name already exists."]}


async def _room(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room named in the path (404 when missing or hidden), with is_member."""
    user = await caller(request)
    room = await rooms.room_for(request.app[DB], path_id(request), user["id"])
    return user, rules.check_visible(room, user)


async def _with_membership(request: web.Request) -> tuple[Row, Row, bool]:
    """The caller, the room, and whether the caller belongs to it."""
    user, room = await _room(request)
    return user, room, bool(room["is_member"])


async def _managed(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room, which the caller must own or administer."""
    user, room = await _room(request)
    rules.check_manager(room, user)
    return user, room


def _may_vanish(handler: Handler) -> Handler:
    """A room deleted between a handler's checks and its write answers 404, as if gone before."""
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except rooms.RoomGone:
            raise not_found("No such room.") from None
    return guarded


async def _room_json(request: web.Request, room_id: int, message: str, status: int = 200) -> web.Response:
    room = await rooms.get_room(request.app[DB], room_id)
    if room is None:
        raise rooms.RoomGone(room_id)
    return json({"message": message, "room": shapes.room(room)}, status=status)


def _query(request: web.Request) -> str:
    return load(schemas.Search(), dict(request.query))["q"]


@routes.get("/api/chat/groups/")
async def joined(request: web.Request) -> web.Response:
    """Rooms the caller belongs to, with unread_count and last_message."""
    user = await caller(request)
    db = request.app[DB]
    rows = await rooms.user_rooms(db, user["id"])
    last = await messages.last_messages(db, [r["last_message_id"] for r in rows if r["last_message_id"]])
    return json([shapes.joined_room(r, last.get(r["last_message_id"])) for r in rows])


@routes.get("/api/chat/groups/list/")
async def every_room(request: web.Request) -> web.Response:
    """Every active room."""
    await caller(request)
    return json([shapes.room(r) for r in await rooms.list_rooms(request.app[DB])])


@routes.get("/api/chat/groups/search/")
async def search_rooms(request: web.Request) -> web.Response:
    """Active rooms whose name contains q."""
    await caller(request)
    return json([shapes.room(r) for r in await rooms.list_rooms(request.app[DB], _query(request))])


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
    return await _room_json(request, room_id, "Room created successfully.", status=201)


@routes.route("PUT", f"/api/chat/edit-group/{ROOM}/")
@routes.route("PATCH", f"/api/chat/edit-group/{ROOM}/")
@_may_vanish
async def edit(request: web.Request) -> web.Response:
    """Change a room's name, description, avatar or members; removed members' sockets close."""
    _, room = await _managed(request)
    data = await body(request, schemas.RoomUpdate())
    db = request.app[DB]
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
    return await _room_json(request, room["id"], "Room updated successfully.")


@routes.delete(f"/api/chat/delete-group/{ROOM}/")
async def delete(request: web.Request) -> web.Response:
    """Delete a room and everything in it; its sockets close (4004)."""
    _, room = await _managed(request)
    await request.app[JOURNAL].delete_room(room["id"])
    request.app[REGISTRY].close_room(room["id"])
    return json({"message": "Room deleted successfully."})


@routes.post(f"/api/chat/group/{ROOM}/add-yourself/")
@_may_vanish
async def join(request: web.Request) -> web.Response:
    """The caller joins the room."""
    user, room, member = await _with_membership(request)
    rules.check_join(member)
    await rooms.add_member(request.app[DB], room["id"], user["id"])
    return await _room_json(request, room["id"], "You joined the room.")


@routes.post(f"/api/chat/group/{ROOM}/remove-yourself/")
async def leave(request: web.Request) -> web.Response:
    """The caller leaves the room (not its owner); their sockets in it close (4003)."""
    user, room = await _room(request)
    await _remove(request, room, user["id"], 400)
    return json({"message": "You left the room."})


async def _remove(request: web.Request, room: Row, user_id: int, absent_status: int) -> None:
    db = request.app[DB]
    rules.check_leave(room, user_id, await rooms.is_member(db, room["id"], user_id), absent_status)
    await rooms.remove_member(db, room["id"], user_id)
    request.app[REGISTRY].close_member(room["id"], user_id)


@routes.post(f"/api/chat/group/{ROOM}/transfer-ownership/")
@_may_vanish
async def transfer(request: web.Request) -> web.Response:
    """Make another member the owner."""
    _, room = await _managed(request)
    data = await body(request, schemas.TransferOwnership())
    db = request.app[DB]
    now = await rooms.room_for(db, room["id"], data["new_owner_id"])
    if now is None:
        raise rooms.RoomGone(room["id"])
    rules.check_new_owner(bool(now["is_member"]))
    await rooms.update_room(db, room["id"], {"owner_id": data["new_owner_id"]})
    return await _room_json(request, room["id"], "Ownership transferred.")


@routes.get(f"/api/chat/groups/{ROOM}/members/")
async def member_list(request: web.Request) -> web.Response:
    """The room's members (for members and site admins)."""
    return json([shapes.member(m) for m in await _readable_members(request, None)])


@routes.get(f"/api/chat/groups/{ROOM}/search/members/")
async def search_members(request: web.Request) -> web.Response:
    """The room's members whose name contains q."""
    return json([shapes.member(m) for m in await _readable_members(request, _query(request))])


async def _readable_members(request: web.Request, q: str | None) -> list[Row]:
    user, room, member = await _with_membership(request)
    rules.check_reader(member, user)
    return await rooms.members(request.app[DB], room["id"], q)


@routes.post(f"/api/chat/groups/{ROOM}/mark-as-read/")
async def mark_read(request: web.Request) -> web.Response:
    """Move the caller's read position to the room's newest message."""
    user, room = await _room(request)
    rules.check_member(room)
    await rooms.mark_read(request.app[DB], room["id"], user["id"])
    return json({"message": "Room marked as read."})


@routes.post(f"/api/chat/groups/{ROOM}/members/")
@_may_vanish
async def add_member(request: web.Request) -> web.Response:
    """The owner or a site admin adds a user to the room."""
    _, room = await _managed(request)
    data = await body(request, schemas.AddMember())
    db = request.app[DB]
    member = await users.get_user(db, data["user_id"])
    rules.check_users_exist([] if member else [data["user_id"]], "user_id")
    rules.check_join(await rooms.is_member(db, room["id"], member["id"]))
    await rooms.add_member(db, room["id"], member["id"])
    return json({"message": "Member added.", "member": shapes.member(member)}, status=201)


@routes.delete(f"/api/chat/groups/{ROOM}/members/{{user_id:[0-9]+}}/")
async def remove_member(request: web.Request) -> web.Response:
    """The owner or a site admin removes a member (not the owner); their sockets close (4003)."""
    _, room = await _managed(request)
    await _remove(request, room, path_id(request, "user_id"), 404)
    return json({"message": "Member removed."})
