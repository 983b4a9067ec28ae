"""REST: a room's invites (made, listed and revoked by its owner, moderators and site admins), and accepting one."""

from __future__ import annotations

import secrets

from aiohttp import web

from .. import bodies, shapes
from ..errors import ChatError, not_found
from ..keys import CONFIG, STORE
from ..request import body, caller, json
from ..store import TooManyInvites
from .room_request import ROOM, may_vanish, membership, moderated_room, room_answer

routes = web.RouteTableDef()
CODE = "{code:[A-Za-z0-9_-]{1,64}}"
CODE_BYTES = 16  # 128 random bits: a code cannot be guessed


@routes.post(f"/api/chat/groups/{ROOM}/invites/")
@may_vanish
async def create(request: web.Request) -> web.Response:
    """A new invite to the room: optional expires_in (seconds) and max_uses; 201 the invite with its code."""
    user, room = await moderated_room(request)
    data = await body(request, bodies.InviteCreate())
    limit = request.app[CONFIG].max_invites_per_room
    try:
        row = await request.app[STORE].create_invite(room["id"], user["id"], secrets.token_urlsafe(CODE_BYTES),
                                                     data["expires_in"], data["max_uses"], limit)
    except TooManyInvites:
        raise ChatError("too_many_invites", f"A room may have at most {limit} live invites; revoke one first.") \
            from None
    return json(shapes.invite(row), status=201)


@routes.get(f"/api/chat/groups/{ROOM}/invites/")
async def live(request: web.Request) -> web.Response:
    """The room's invites that can still be used, oldest first."""
    _, room = await moderated_room(request)
    return json([shapes.invite(row) for row in await request.app[STORE].live_invites(room["id"])])


@routes.delete(f"/api/chat/groups/{ROOM}/invites/{CODE}/")
async def revoke(request: web.Request) -> web.Response:
    """Revoke one of the room's live invites (404 for any other code)."""
    user, room = await moderated_room(request)
    if not await request.app[STORE].revoke_invite(room["id"], request.match_info["code"], user["id"]):
        raise not_found("No such invite in this room.")
    return json({"message": "Invite revoked."})


@routes.post(f"/api/chat/invites/{CODE}/accept/")
@may_vanish
async def accept(request: web.Request) -> web.Response:
    """Join the invite's room (public or private), counting one use; a member is answered the room again."""
    user = await caller(request)
    room_id, joined = await membership(request).accept_invite(request.match_info["code"], user["id"])
    return await room_answer(request, room_id, "You joined the room." if joined else "You are already a member.")
