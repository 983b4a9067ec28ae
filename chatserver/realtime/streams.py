"""A user's stream (`/ws/user/`): the endpoint, and keeping it in step with the user's rooms."""

from __future__ import annotations

import logging
import time
from typing import Iterable

from aiohttp import web

from ..errors import ChatError
from ..keys import DB, JOURNAL, METRICS, REGISTRY
from ..storage import rooms
from .peer import refuse
from .socket import authenticated, log_close, serve, upgrade, within_limits

log = logging.getLogger("chatserver.ws")


async def user_stream(request: web.Request) -> web.StreamResponse:
    """`/ws/user/?token=...`: what happens in all of a user's rooms, for unread counts and room lists.

    It sends `room_activity` for every event committed in a room the user is a member of,
    `rooms_changed` when the user's rooms change (joined, left, removed, created, edited,
    deleted) and `room_read` when the user marked a room as read; it takes no actions.
    """
    app = request.app
    registry = app[REGISTRY]
    user, token = await authenticated(request)
    address = within_limits(request, user)
    following = (await rooms.rooms_of_users(app[DB], [user["id"]])).get(user["id"], set())

    peer = await upgrade(request, user, None, address)
    started = time.monotonic()
    registry.join(peer)
    registry.follow(user["id"], following)
    app[METRICS].inc("chat_ws_sessions_total")
    log.info("ws open stream user=%s remote=%s rooms=%d", user["id"], address, len(following))

    def refuse_frame(exc: ChatError) -> None:
        refuse(peer, app[METRICS], exc)

    async def on_text(_: bytes) -> None:
        peer.frames_in += 1
        if peer.live:
            refuse_frame(ChatError("unsupported", "This socket only tells; act through a room's socket."))

    try:
        await serve(app, peer, token, on_text, refuse_frame)
    finally:
        registry.leave(peer)
        log_close(peer, started, "stream")
    return peer.ws


async def rooms_changed(app: web.Application, user_ids: Iterable[int], *, always: bool = False) -> int:
    """Re-read the rooms of these users' streams; tell each whose rooms changed (or all, with always).

    Called after a membership change commits (join, leave, add, remove, create, delete) and,
    with always=True, after a change to how the rooms look (edit, new owner). Returns how many
    users were told.
    """
    registry = app[REGISTRY]
    async with registry.follow_lock:  # a read and its apply are not overtaken by an older read
        ids = sorted({user_id for user_id in user_ids if user_id in registry.streams})
        if not ids:
            return 0
        following = await rooms.rooms_of_users(app[DB], ids)
        told = 0
        for user_id in ids:
            if registry.follow(user_id, following.get(user_id, ())) or always:
                told += bool(registry.tell(user_id, {"action": "rooms_changed"}))
        return told


class ServerFanOut:
    """What a membership change does to this server: the journal's cached room, sockets, user streams."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def followers(self, room_id: int) -> set[int]:
        """The users whose streams follow a room now (before a change to it)."""
        return set(self.app[REGISTRY].followers.get(room_id, ()))

    def forget_room(self, room_id: int) -> None:
        """The room was renamed or deleted: the journal reads it afresh."""
        self.app[JOURNAL].forget_room(room_id)

    def close_member(self, room_id: int, user_id: int) -> None:
        """Close a removed member's sockets in the room (4003)."""
        self.app[REGISTRY].close_member(room_id, user_id)

    def close_room(self, room_id: int) -> None:
        """Close every socket of a deleted room (4004)."""
        self.app[REGISTRY].close_room(room_id)

    async def rooms_changed(self, user_ids: Iterable[int], always: bool = False) -> None:
        """Tell these users' streams (see rooms_changed)."""
        await rooms_changed(self.app, user_ids, always=always)
