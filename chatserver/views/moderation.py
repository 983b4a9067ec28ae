"""REST: a room's moderators, bans and audit log."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..keys import PUBLISHER, STORE
from ..request import base_url, body, caller, json, path_id, query_int
from ..room_changes import Change
from ..store import Row
from .room_request import ROOM, managed_room, may_vanish, moderated_room, moderation, room_in_path

routes = web.RouteTableDef()
USER = "{user_id:[0-9]+}"
AUDIT_PAGE = 1000  # rows of the audit log in one answer, at most


@routes.post(f"/api/chat/groups/{ROOM}/moderators/")
@may_vanish
async def add_moderator(request: web.Request) -> web.Response:
    """The owner or a site admin makes a member a moderator."""
    user, room = await managed_room(request)  # before the body: a room one may not know of is 404 whatever is sent
    return await _set_moderator(request, user, room, (await body(request, bodies.AddMember()))["user_id"], True)


@routes.delete(f"/api/chat/groups/{ROOM}/moderators/{USER}/")
@may_vanish
async def remove_moderator(request: web.Request) -> web.Response:
    """The owner or a site admin makes a moderator a plain member again."""
    user, room = await managed_room(request)
    return await _set_moderator(request, user, room, path_id(request, "user_id"), False)


async def _set_moderator(request: web.Request, user: Row, room: Row, user_id: int, moderator: bool) -> web.Response:
    await moderation(request).set_moderator(room, user, user_id, moderator)
    return json({"message": "Moderator added." if moderator else "Moderator removed.",
                 "user_id": user_id, "room_role": "moderator" if moderator else "member"})


@routes.get(f"/api/chat/groups/{ROOM}/bans/")
async def ban_list(request: web.Request) -> web.Response:
    """The room's bans, newest first (for its owner, moderators and site admins)."""
    _, room = await moderated_room(request)
    return json([shapes.ban(row) for row in await request.app[STORE].bans(room["id"])])


@routes.post(f"/api/chat/groups/{ROOM}/bans/")
@may_vanish
async def ban(request: web.Request) -> web.Response:
    """Ban a user from the room: removed now (sockets close 4003), and kept out until unbanned."""
    user, room = await moderated_room(request)
    data = await body(request, bodies.Ban())
    deleted = await moderation(request).ban(room, user, data["user_id"], data["reason"], data["delete_messages"])
    return json({"message": "User banned.", "user_id": data["user_id"], "deleted_messages": deleted}, status=201)


@routes.delete(f"/api/chat/groups/{ROOM}/bans/{USER}/")
@may_vanish
async def unban(request: web.Request) -> web.Response:
    """Lift a ban: the user may join or be added again."""
    user, room = await moderated_room(request)
    await moderation(request).unban(room, user, path_id(request, "user_id"))
    return json({"message": "Ban lifted."})


@routes.delete(f"/api/chat/groups/{ROOM}/messages/{{message_id:[0-9]+}}/")
@may_vanish
async def delete_message(request: web.Request) -> web.Response:
    """Delete a message: the sender's own, or any in the room by its owner, a moderator or a site admin."""
    user, room = await room_in_path(request)
    if not rules.is_admin(user):
        rules.check_member(room, user)
    committed = await request.app[PUBLISHER].submit(Change(
        "delete", room, user, {"message_id": path_id(request, "message_id")}, base=base_url(request), moderating=True))
    return json({"message": "Message deleted.", "id": committed.message_id, "seq": committed.seq})


@routes.get(f"/api/chat/groups/{ROOM}/audit/")
async def room_audit(request: web.Request) -> web.Response:
    """The room's audit log after after_id, oldest first (for its owner, moderators and site admins)."""
    _, room = await moderated_room(request)
    return await audit_page(request, room["id"])


async def audit_page(request: web.Request, room_id: int | None) -> web.Response:
    """`{"entries", "last_id", "has_more"}`: audit rows after ?after_id=, at most ?limit= (1000)."""
    after = query_int(request, "after_id", 0, minimum=0)
    limit = min(query_int(request, "limit", AUDIT_PAGE), AUDIT_PAGE)
    rows = await request.app[STORE].audit_entries(after, room_id, limit + 1)
    page = [shapes.audit_entry(row) for row in rows[:limit]]
    return json({"entries": page, "last_id": page[-1]["id"] if page else after, "has_more": len(rows) > limit})


@routes.get("/api/admin/audit/")
async def site_audit(request: web.Request) -> web.Response:
    """The whole audit log, or one room's with ?room= (site admins only)."""
    user = await caller(request)
    rules.check_site_admin(user)
    return await audit_page(request, query_int(request, "room", None))
