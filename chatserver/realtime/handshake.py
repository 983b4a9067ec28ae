"""Before a socket opens: its Origin, its token and the socket limits are checked, then it upgrades."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from ..config import Config
from ..errors import ChatError, forbidden
from ..fanout.peer import Peer
from ..keys import CONFIG, REGISTRY, SESSIONS
from ..rates import Refusals
from ..request import client_address, request_token
from ..store import Row


def check_origin(request: web.Request, config: Config) -> None:
    """A browser's Origin must be this server or one of CHAT_CORS_ORIGINS (CORS does not cover sockets)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin.rstrip("/") in config.cors_origins or urlsplit(origin).netloc.lower() == request.host.lower():
        return
    raise forbidden("This origin may not open sockets here.")


async def authenticated(request: web.Request) -> tuple[Row, str | None]:
    """Before any upgrade: the Origin, then the token (401). Returns the user and the token."""
    check_origin(request, request.app[CONFIG])
    token = request_token(request, query=True)
    user = await request.app[SESSIONS].user_for_token(token)
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
