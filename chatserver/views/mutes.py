"""REST: a room's owner, moderators and site admins mute a member for a while, or until they lift it."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..errors import not_found
from ..keys import CONFIG, STORE
from ..request import body, json, path_id
from ..store import NotAMember
from .room_request import ROOM, may_vanish, room_in_path

routes = web.RouteTableDef()


@routes.get(f"/api/chat/groups/{ROOM}/mutes/")
async def mute_list(request: web.Request) -> web.Response:
    """The mutes in force: every one for the room's moderators, a member's own for a member."""
    user, room = await room_in_path(request)
    if not rules.may_moderate(room, user):
        rules.check_member(room, user)
        return json([shapes.mute(m) for m in await request.app[STORE].mutes(room["id"], user["id"])])
    return json([shapes.mute(m) for m in await request.app[STORE].mutes(room["id"])])


@routes.post(f"/api/chat/groups/{ROOM}/mutes/")
@may_vanish
async def mute(request: web.Request) -> web.Response:
    """Mute a member for `duration` seconds, or until unmuted: they read but cannot send, edit, react or pin."""
    user, room = await room_in_path(request)
    rules.check_moderator(room, user)
    data = await body(request, bodies.Mute())
    store, target_id = request.app[STORE], data["user_id"]
    until = rules.mute_until(data["duration"], request.app[CONFIG].max_mute_seconds)
    target = await store.room_for(room["id"], target_id)
    rules.check_mutable(room, user, target_id, bool(target and target["is_member"]), bool(target and target["is_moderator"]))
    try:
        row = await store.mute(room["id"], target_id, user["id"], until, data["reason"])
    except NotAMember:  # left or removed meanwhile
        rules.check_mutable(room, user, target_id, member=False, moderator=False)
        raise
    return json({"message": "Member muted.", "mute": shapes.mute(row)}, status=201)


@routes.delete(f"/api/chat/groups/{ROOM}/mutes/{{user_id:[0-9]+}}/")
async def unmute(request: web.Request) -> web.Response:
    """Lift a member's mute (404 when none is in force)."""
    user, room = await room_in_path(request)
    rules.check_moderator(room, user)
    if not await request.app[STORE].unmute(room["id"], path_id(request, "user_id"), user["id"]):
        raise not_found("That member is not muted.")
    return json({"message": "Mute lifted."})
