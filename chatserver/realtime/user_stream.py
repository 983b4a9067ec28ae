"""A user's stream (`/ws/user/`): the endpoint."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from ..errors import ChatError
from ..fanout.peer import refuse
from ..keys import METRICS, REGISTRY, STORE
from .handshake import authenticated, upgrade, within_limits
from .read_loop import log_close, serve

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
    following = (await app[STORE].rooms_of_users([user["id"]])).get(user["id"], set())

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
