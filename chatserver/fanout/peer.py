"""One open socket: its bounded outbound buffer, and closing it from its own handler."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from aiohttp import web

from ..rates import Refusals
from ..wire import encode

if TYPE_CHECKING:
    from ..errors import ChatError
    from ..metrics import Metrics

CLOSE_TIMEOUT = 5.0
CLOSE_REFUSED = 4029  # the client kept sending frames the server refuses, past its error budget


class Peer:
    """One open socket of one member in one room.

    Frames are written straight to the transport, which never blocks: a peer whose
    unsent bytes would pass `limit` is closed (4008) instead of slowing the room down.
    While `held` is a list (a resume is replaying history), live frames wait in it.

    The socket's own handler task closes it: `close()` only records the code and, when the
    handler is waiting for the next frame, interrupts that wait. Closing from another task
    would let aiohttp drop the connection right after our close frame, without reading what
    the client still sends; a client that is sending then gets a reset, and a reset can
    discard the close frame before the client reads it.
    """

    __slots__ = ("ws", "transport", "live", "user", "token_id", "room_id", "address", "limit",
                 "held", "held_bytes", "replayed", "typing", "frames_out", "frames_in", "on_slow",
                 "task", "reading", "close_with", "refusals", "__weakref__")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport, user: dict[str, Any],
                 token_id: int, room_id: int | None, address: str, limit: int,
                 refusals: Refusals | None = None) -> None:
        self.ws = ws
        self.transport = transport
        self.live = True
        self.user = user
        self.token_id = token_id
        self.room_id = room_id
        self.address = address
        self.limit = limit
        self.held: list[tuple[int | None, bytes]] | None = None
        self.held_bytes = 0
        self.replayed = 0
        self.typing = False
        self.frames_out = 0
        self.frames_in = 0
        self.on_slow: Callable[[Peer], None] = lambda peer: None
        self.task = asyncio.current_task()
        self.reading = False  # the handler is waiting for the client's next frame
        self.close_with: tuple[int, str] | None = None
        self.refusals = refusals or Refusals(0, 1, 1)  # rate 0: every error frame is sent

    def close(self, code: int, reason: str) -> bool:
        """Ask the handler to close this socket with code; False if a close was asked already."""
        if self.close_with is not None:
            return False
        self.close_with = (code, reason)
        self.live = False  # frames still arriving from it are ignored
        self.held = None
        if self.reading and not self.ws.closed and self.task is not None:
            self.task.cancel()  # wakes the handler out of receive(); it then closes the socket itself
        return True

    def deliver(self, frame: bytes, seq: int | None = None) -> None:
        """Queue a ready frame for this socket without waiting for it to be sent."""
        if seq is not None and seq <= self.replayed:
            return  # committed before the resume read it but published after: the replay sent it
        if self.held is not None:
            self.held.append((seq, frame))
            self.held_bytes += len(frame)
            if self.held_bytes > self.limit:
                self.on_slow(self)
            return
        self.write(frame)

    def write(self, frame: bytes) -> None:
        """Write a ready frame now, unless that would pass the socket's buffer limit."""
        transport = self.transport
        if not self.live or transport.is_closing():
            return
        if transport.get_write_buffer_size() + len(frame) > self.limit:
            self.on_slow(self)
            return
        transport.write(frame)
        self.frames_out += 1

    def send(self, frame: dict[str, Any]) -> None:
        """Serialize and deliver one frame to this socket alone."""
        self.deliver(encode(frame))

    def release(self, after_seq: int) -> None:
        """End holding: from now on only frames whose seq is past after_seq are delivered."""
        held, self.held, self.held_bytes = self.held or [], None, 0
        self.replayed = after_seq
        for seq, frame in held:
            self.deliver(frame, seq)


def refuse(peer: Peer, metrics: Metrics, exc: ChatError, client_id: str | None = None) -> None:
    """Send one socket an error frame (with the client_id it answers, if any); count it by code.

    Past the socket's error budget the frame is dropped and counted instead, and a socket that
    keeps at it is closed (4029): refusing must cost the server less than sending costs the client.
    """
    verdict = peer.refusals.admit(exc.code)
    if verdict != "send":
        metrics.inc("chat_error_frames_dropped_total")
        if verdict == "close" and peer.close(CLOSE_REFUSED, "too many refused frames"):
            metrics.inc("chat_refused_disconnects_total")
        return
    frame = exc.frame()
    if client_id is not None:
        frame["client_id"] = client_id[:64]
    peer.send(frame)
    metrics.inc("chat_errors_total", label=f'code="{exc.code}"')


def overrun(peer: Peer, metrics: Metrics) -> None:
    """A frame dropped without an answer (typing past its rate) spends the error budget as a refusal
    does, so that a flood of them closes the socket (4029) instead of costing the server forever."""
    verdict = peer.refusals.admit("overrun")
    if verdict == "close" and peer.close(CLOSE_REFUSED, "too many refused frames"):
        metrics.inc("chat_refused_disconnects_total")


async def close_socket(peer: Peer) -> None:
    """In the socket's handler: send the close frame asked for, then read until the client's reply.

    Reading up to the client's close frame (or CLOSE_TIMEOUT) before the connection is dropped
    is what lets a client that is still sending receive the close frame instead of a reset.
    """
    if peer.close_with is None or peer.ws.closed:
        return
    code, reason = peer.close_with
    try:
        await asyncio.wait_for(peer.ws.close(code=code, message=reason.encode()), CLOSE_TIMEOUT)
    except (asyncio.TimeoutError, ConnectionError, RuntimeError):
        # A peer that never reads cannot take the close frame either: cut it off.
        peer.transport.abort()
