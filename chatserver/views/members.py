"""REST: membership: join, leave, transfer ownership, members, read position, add and remove."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..fanout import streams
from ..keys import BUS, STORE
from ..request import body, json, path_id
from .room_request import (ROOM, managed_room, may_vanish, membership, moderated_room, room_answer, room_in_path,
                           room_to_join, search_query)

routes = web.RouteTableDef()


@routes.post(f"/api/chat/group/{ROOM}/add-yourself/")
@may_vanish
async def join(request: web.Request) -> web.Response:
    """The caller joins the room: a public one (403 for a private one)."""
    user, room = await room_to_join(request)
    rules.check_not_direct(room)
    await membership(request).join(room, user)
    return await room_answer(request, room["id"], "You joined the room.")


@routes.post(f"/api/chat/group/{ROOM}/remove-yourself/")
@may_vanish
async def leave(request: web.Request) -> web.Response:
    """The caller leaves the room (not its owner); their sockets in it close (4003)."""
    user, room = await room_in_path(request)
    rules.check_not_direct(room)
    await membership(request).remove(room["id"], user["id"], 400)
    return json({"message": "You left the room."})


@routes.post(f"/api/chat/group/{ROOM}/transfer-ownership/")
@may_vanish
async def transfer(request: web.Request) -> web.Response:
    """Make another member the owner."""
    user, room = await managed_room(request)
    data = await body(request, bodies.TransferOwnership())
    await membership(request).transfer(room["id"], data["new_owner_id"], user["id"])
    return await room_answer(request, room["id"], "Ownership transferred.")


@routes.get(f"/api/chat/groups/{ROOM}/members/")
async def member_list(request: web.Request) -> web.Response:
    """The room's members (for members and site admins)."""
    return await _readable_members(request, None)


@routes.get(f"/api/chat/groups/{ROOM}/search/members/")
async def search_members(request: web.Request) -> web.Response:
    """The room's members whose name contains q."""
    return await _readable_members(request, search_query(request))


async def _readable_members(request: web.Request, q: str | None) -> web.Response:
    user, room = await room_in_path(request)
    rules.check_reader(bool(room["is_member"]), user)
    found = await request.app[STORE].members(room["id"], q)
    return json([shapes.member(m, rules.room_role(room, m["id"], m["moderator"])) for m in found])


@routes.post(f"/api/chat/groups/{ROOM}/mark-as-read/")
async def mark_read(request: web.Request) -> web.Response:
    """Move the caller's read position to the room's newest message."""
    user, room = await room_in_path(request)
    rules.check_member(room, user)
    await request.app[STORE].mark_read(room["id"], user["id"])
    request.app[BUS].tell(user["id"], {"action": "room_read", "room_id": room["id"]})
    return json({"message": "Room marked as read."})


@routes.post(f"/api/chat/groups/{ROOM}/members/")
@may_vanish
async def add_member(request: web.Request) -> web.Response:
    """The owner, a moderator or a site admin adds a user to the room (not one banned from it)."""
    _, room = await moderated_room(request)
    data = await body(request, bodies.AddMember())
    member = await membership(request).add(room["id"], data["user_id"])
    return json({"message": "Member added.", "member": shapes.member(member, "member")}, status=201)


@routes.delete(f"/api/chat/groups/{ROOM}/members/{{user_id:[0-9]+}}/")
@may_vanish
async def remove_member(request: web.Request) -> web.Response:
    """The owner, a moderator or a site admin removes a member (not the owner; a moderator only as owner
    or site admin); their sockets close (4003)."""
    user, room = await moderated_room(request)
    await membership(request).remove(room["id"], path_id(request, "user_id"), 404, user["id"],
                                     rules.spares_moderators(room, user))
    return json({"message": "Member removed."})
