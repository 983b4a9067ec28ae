"""An open socket's life: the read loop until either side ends it, the close, the line it leaves."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from ..errors import ChatError
from ..fanout.peer import Peer, close_socket
from ..keys import REGISTRY, SESSIONS

log = logging.getLogger("chatserver.ws")
_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


async def serve(app: web.Application, peer: Peer, token: str | None,
                on_text: Callable[[bytes], Awaitable[None]], refuse: Callable[[ChatError], None],
                start: Callable[[], Awaitable[None]] | None = None) -> None:
    """Read the client's frames until it goes or the server closes the socket; then close it properly."""
    try:
        if await app[SESSIONS].user_for_token(token) is None:
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


def log_close(peer: Peer, started: float, what: str) -> None:
    """The one line a socket session leaves when it ends."""
    log.info("ws close %s user=%s code=%s duration=%.1fs frames_in=%d frames_out=%d",
             what, peer.user["id"], peer.ws.close_code, time.monotonic() - started,
             peer.frames_in, peer.frames_out)
