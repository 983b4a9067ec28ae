"""A room's WebSocket (`/ws/chat/<room_id>/`): the handshake, the replay of what was missed, the session."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from .. import rules
from ..errors import ChatError
from ..fanout.peer import Peer
from ..keys import METRICS, REGISTRY, STORE
from ..request import base_url, path_id
from ..fields import parse_id
from ..store import Store
from ..wire import dumps, replayed, text_frame
from .actions import Session
from .handshake import authenticated, upgrade, within_limits
from .read_loop import log_close, serve

log = logging.getLogger("chatserver.ws")
REPLAY_CHUNK = 500


def _after_seq(request: web.Request) -> int | None:
    raw = request.query.get("after_seq")
    if raw is None:
        return None
    value = parse_id(raw, minimum=0)
    if value is None:
        raise ChatError("invalid", "after_seq must be a non-negative integer.",
                        fields={"after_seq": ["Must be a non-negative integer."]})
    return value


async def chat_socket(request: web.Request) -> web.StreamResponse:
    """`/ws/chat/<room_id>/?token=...[&after_seq=N]`: a member's live connection to a room."""
    app = request.app
    store, registry = app[STORE], app[REGISTRY]
    room_id = path_id(request, "room_id")
    user, token = await authenticated(request)
    room = rules.check_member(await store.room_for(room_id, user["id"]), user)
    address = within_limits(request, user)
    after_seq = _after_seq(request)
    base = base_url(request)

    peer = await upgrade(request, user, room_id, address)
    session = Session(app, peer, room, base)
    started = time.monotonic()
    if after_seq is not None:
        peer.held = []
    registry.join(peer)
    app[METRICS].inc("chat_ws_sessions_total")
    log.info("ws open room=%s user=%s remote=%s after_seq=%s", room_id, user["id"], address, after_seq)
    try:
        if not await store.is_member(room_id, user["id"]):
            registry.close_member(room_id, user["id"])  # removed while this handshake ran: missed by the removal
        await serve(app, peer, token, session.receive, session.refuse,
                     None if after_seq is None else lambda: _resume(store, peer, after_seq, base))
    finally:
        if registry.leave(peer) and peer.typing:
            session.broadcast_typing(False)
        await session.drain()
        log_close(peer, started, f"room={room_id}")
    return peer.ws


async def _resume(store: Store, peer: Peer, after_seq: int, base: str) -> None:
    """Send every event past after_seq (announced by a `resumed` frame), then the held live ones."""
    last = await store.room_seq(peer.room_id)
    if after_seq > last:
        peer.write(text_frame(dumps({"action": "reset", "last_seq": last})))
        peer.release(last)
        return
    peer.write(text_frame(dumps({"action": "resumed", "after_seq": after_seq, "last_seq": last,
                                 "count": last - after_seq})))
    cursor = after_seq
    while cursor < last and peer.live:
        events = await store.events_after(peer.room_id, cursor, min(REPLAY_CHUNK, last - cursor))
        if not events:
            break
        for event in events:
            frame = text_frame(replayed(event, peer.user["id"], base))
            await _drained(peer, len(frame))
            peer.write(frame)
        cursor = events[-1]["seq"]
    await _drained(peer, peer.held_bytes)
    peer.release(last)


async def _drained(peer: Peer, size: int) -> None:
    """Wait until size more bytes fit in half the socket's limit (a replay must not overrun it)."""
    waited = 0.0
    while peer.live and 0 < peer.transport.get_write_buffer_size() and \
            peer.transport.get_write_buffer_size() + size > peer.limit // 2:
        if waited > 30:
            peer.on_slow(peer)
            return
        await asyncio.sleep(0.01)
        waited += 0.01
