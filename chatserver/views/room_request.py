"""What every room handler needs: the room named in the path, as the caller may see it."""

from __future__ import annotations

import functools
from typing import Awaitable, Callable

from aiohttp import web

from .. import bodies, rules, shapes
from ..errors import not_found
from ..fanout.streams import ServerFanOut
from ..keys import CONFIG, PUBLISHER, STORE
from ..membership import Membership
from ..moderation import Moderation
from ..request import caller, json, path_id
from ..store import RoomGone, Row

ROOM = "{id:[0-9]+}"
Handler = Callable[[web.Request], Awaitable[web.Response]]


async def room_in_path(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room of the path (404 when missing or hidden from them), with is_member."""
    user = await caller(request)
    room = await request.app[STORE].room_for(path_id(request), user["id"])
    return user, rules.check_visible(room, user)


async def room_to_join(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room of the path (404 when missing or closed, or someone else's direct room),
    private or not: joining says which."""
    user = await caller(request)
    room = await request.app[STORE].room_for(path_id(request), user["id"])
    stranger = room is not None and room["kind"] == "direct" and rules.hidden(room)
    if room is None or not rules.is_admin(user) and (not room["is_active"] or stranger):
        raise not_found("No such room.")
    return user, room


async def managed_room(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room, which the caller must own or administer."""
    user, room = await room_in_path(request)
    rules.check_not_direct(room)
    rules.check_manager(room, user)
    return user, room


async def moderated_room(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room, which the caller must own, moderate or administer (never a direct room)."""
    user, room = await room_in_path(request)
    rules.check_not_direct(room)
    rules.check_moderator(room, user)
    return user, room


def membership(request: web.Request) -> Membership:
    """The membership service, with this server's sockets and streams to tell."""
    app = request.app
    return Membership(app[STORE], app[CONFIG], ServerFanOut(app))


def moderation(request: web.Request) -> Moderation:
    """The moderation service, with this server's sockets and streams to tell."""
    app = request.app
    return Moderation(app[STORE], app[CONFIG], ServerFanOut(app), app[PUBLISHER])


def may_vanish(handler: Handler) -> Handler:
    """A room deleted between a handler's checks and its write answers 404, as if gone before."""
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except RoomGone:
            raise not_found("No such room.") from None
    return guarded


async def room_answer(request: web.Request, room_id: int, message: str, status: int = 200) -> web.Response:
    """`{"message", "room"}` with the room as it is now, as the caller sees it."""
    store = request.app[STORE]
    room = await store.get_room(room_id)
    if room is None:
        raise RoomGone(room_id)
    await store.with_direct_users([room], (await caller(request))["id"])
    return json({"message": message, "room": shapes.room(room)}, status=status)


def search_query(request: web.Request) -> str:
    """The trimmed `q` of a search (400 when too long)."""
    return bodies.load(bodies.Search(), dict(request.query))["q"]
