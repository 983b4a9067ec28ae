"""A room's WebSocket, and what every socket shares: refusals before the upgrade, the read loop, the close."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from .. import rules
from ..accounts import request_token
from ..config import Config
from ..errors import ChatError, forbidden
from ..fanout.peer import Peer, close_socket
from ..keys import ACCOUNTS, CONFIG, METRICS, REGISTRY, STORE
from ..request import base_url, client_address, path_id
from ..schemas import parse_id
from ..rates import Refusals
from ..store import Row, Store
from ..wire import dumps, replayed, text_frame
from .actions import Session

log = logging.getLogger("chatserver.ws")
REPLAY_CHUNK = 500
_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


def check_origin(request: web.Request, config: Config) -> None:
    """A browser's Origin must be this server or one of CHAT_CORS_ORIGINS (CORS does not cover sockets)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin.rstrip("/") in config.cors_origins or urlsplit(origin).netloc.lower() == request.host.lower():
        return
    raise forbidden("This origin may not open sockets here.")


def _after_seq(request: web.Request) -> int | None:
    raw = request.query.get("after_seq")
    if raw is None:
        return None
    value = parse_id(raw, minimum=0)
    if value is None:
        raise ChatError("invalid", "after_seq must be a non-negative integer.",
                        fields={"after_seq": ["Must be a non-negative integer."]})
    return value


async def authenticated(request: web.Request) -> tuple[Row, str | None]:
    """Before any upgrade: the Origin, then the token (401). Returns the user and the token."""
    check_origin(request, request.app[CONFIG])
    token = request_token(request, query=True)
    user = await request.app[ACCOUNTS].user_for_token(token)
    if user is None:
        raise ChatError("unauthorized", "A valid token is required.")
    return user, token


def within_limits(request: web.Request, user: Row) -> str:
    """Refuse (429) a socket past the per-user or per-address limit; returns the client's address."""
    config, registry = request.app[CONFIG], request.app[REGISTRY]
    address = client_address(request)
    for limit, count, what in ((config.max_sockets_per_user, registry.by_user[user["id"]], "user"),
                               (config.max_sockets_per_ip, registry.by_address[address], "address")):
        if limit and count >= limit:
            raise ChatError("rate_limited", f"Too many open sockets for this {what}.")
    return address


async def upgrade(request: web.Request, user: Row, room_id: int | None, address: str) -> Peer:
    """Switch to WebSocket; the Peer of a room's socket, or of a user's stream with room_id None."""
    config = request.app[CONFIG]
    # No compression: it costs CPU and memory per socket and leaks content lengths (BREACH-style).
    # Text arrives as bytes: orjson validates the UTF-8 while it parses.
    ws = web.WebSocketResponse(heartbeat=config.heartbeat, max_msg_size=config.max_frame_bytes,
                               compress=False, decode_text=False)
    await ws.prepare(request)
    return Peer(ws, request.transport, user, user["token_id"], room_id, address, config.send_buffer_bytes,
                Refusals(config.error_rate, config.error_burst, config.error_close))


async def serve(app: web.Application, peer: Peer, token: str | None,
                on_text: Callable[[bytes], Awaitable[None]], refuse: Callable[[ChatError], None],
                start: Callable[[], Awaitable[None]] | None = None) -> None:
    """Read the client's frames until it goes or the server closes the socket; then close it properly."""
    try:
        if await app[ACCOUNTS].user_for_token(token) is None:
            app[REGISTRY].close_token(peer.token_id)  # logged out while this handshake ran: missed by logout
        if start is not None:
            await start()
        while peer.close_with is None:
            msg = await _next_frame(peer)
            if msg is None or msg.type in _ENDED:
                break
            if msg.type is WSMsgType.TEXT:
                await on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                refuse(ChatError("unsupported", "Binary frames are not supported; send JSON text."))
        await close_socket(peer)  # a close the server asked for (1001, 4001, 4003, 4004, 4008)
    except Exception:  # after the upgrade no HTTP error can be answered: close properly instead
        log.exception("socket failed (room %s, user %s)", peer.room_id, peer.user["id"])
        await peer.ws.close(code=WSCloseCode.INTERNAL_ERROR)


def log_close(peer: Peer, started: float, what: str) -> None:
    """The one line a socket session leaves when it ends."""
    log.info("ws close %s user=%s code=%s duration=%.1fs frames_in=%d frames_out=%d",
             what, peer.user["id"], peer.ws.close_code, time.monotonic() - started,
             peer.frames_in, peer.frames_out)


async def chat_socket(request: web.Request) -> web.StreamResponse:
    """`/ws/chat/<room_id>/?token=...[&after_seq=N]`: a member's live connection to a room."""
    app = request.app
    store, registry = app[STORE], app[REGISTRY]
    room_id = path_id(request, "room_id")
    user, token = await authenticated(request)
    room = rules.check_member(await store.room_for(room_id, user["id"]))
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


async def _next_frame(peer: Peer) -> WSMessage | None:
    """The client's next frame, or None when `Peer.close` interrupted the wait."""
    peer.reading = True
    try:
        return await peer.ws.receive()
    except asyncio.CancelledError:
        task = peer.task
        if peer.close_with is None or task is None or task.uncancel():
            raise  # cancelled by someone else (the server stopping past its timeout)
        return None
    finally:
        peer.reading = False


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
