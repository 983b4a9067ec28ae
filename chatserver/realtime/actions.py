"""What a socket may ask for: the dispatch table action -> (schema, handler), and one error path."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Awaitable, Callable

from aiohttp import web

from .. import rules, shapes
from ..room_changes import Change
from ..errors import ChatError
from ..fanout.peer import Peer, overrun, refuse
from ..keys import CONFIG, PUBLISHER, METRICS, REGISTRY, STORE, USER_RATES
from ..rates import Bucket
from ..store import Row
from ..wire import encode, loads
from .. import client_frames as frames_in
from ..client_frames import depth

log = logging.getLogger("chatserver.ws")
IN_FLIGHT = 32  # changes of one socket queued in the publisher before its reading pauses


class Session:
    """One socket's conversation: parse, check, hand changes to the publisher."""

    def __init__(self, app: web.Application, peer: Peer, room: Row, base: str) -> None:
        self.app = app
        self.base = base
        self.config = app[CONFIG]
        self.peer = peer
        self.room = room
        self.rate = Bucket(self.config.rate_limit, self.config.rate_burst)
        self.typing_rate = Bucket(self.config.typing_rate, self.config.typing_rate)
        self.in_flight: deque[asyncio.Future[Any]] = deque()

    async def receive(self, text: bytes) -> None:
        """Handle one text frame; any refusal becomes an error frame on this socket only."""
        self.peer.frames_in += 1
        if not self.peer.live:
            return
        data: Any = None
        try:
            try:
                data = loads(text)
            except ValueError:
                raise ChatError("invalid_json", "The frame is not valid JSON.") from None
            if not isinstance(data, dict):
                raise ChatError("invalid", "A frame must be a JSON object.", fields={"non_field_errors": ["Expected a JSON object."]})
            if depth(data, self.config.max_json_depth):
                raise ChatError("invalid", "The frame nests too deeply.", fields={"non_field_errors": ["Nested too deeply."]})
            action = data.get("action", "send_message")
            if not isinstance(action, str) or action not in ACTIONS:  # a list or object is unhashable
                raise ChatError("unknown_action", f"Unknown action {str(action)[:64]!r}.")
            spec, handler = ACTIONS[action]
            await handler(self, spec.load(data))
        except ChatError as exc:
            client_id = data.get("client_id") if isinstance(data, dict) else None
            self.refuse(exc, client_id if isinstance(client_id, str) else None)
        except Exception:  # a bug must cost one frame, never the connection
            log.exception("frame failed in room %s", self.room["id"])
            self.refuse(ChatError("internal", "The server could not handle this frame."))

    def refuse(self, exc: ChatError, client_id: str | None = None) -> None:
        """Send an error frame to this socket."""
        refuse(self.peer, self.app[METRICS], exc, client_id)

    async def change(self, kind: str, data: dict[str, Any]) -> None:
        """Rate-limit, then queue a change; errors reach the socket from the publisher."""
        if not self.rate.take() or not self.app[USER_RATES].take(self.peer.user["id"]):
            self.app[METRICS].inc("chat_rate_limited_total")
            raise ChatError("rate_limited", "Slow down: too many actions in a short time.")
        future = self.app[PUBLISHER].enqueue(Change(kind, self.room, self.peer.user, data, self.peer, self.base))
        self.in_flight.append(future)
        while self.in_flight and self.in_flight[0].done():
            self.in_flight.popleft()
        if len(self.in_flight) >= IN_FLIGHT:
            await asyncio.wait([self.in_flight.popleft()])

    async def drain(self) -> None:
        """Wait until this socket's queued changes are settled."""
        if self.in_flight:
            await asyncio.wait(list(self.in_flight))

    def broadcast_typing(self, is_typing: bool) -> None:
        """Tell the room's other members (never the typist's own sockets) this user started or stopped typing."""
        self.peer.typing = is_typing
        frame = {"action": "typing", "sender": shapes.sender(self.peer.user), "is_typing": is_typing}
        self.app[REGISTRY].broadcast_others(self.room["id"], encode(frame), self.peer.user["id"])


async def send_message(session: Session, data: dict[str, Any]) -> None:
    config = session.config
    message = rules.message_text("message", data["message"], config.max_message_length)
    mentions = rules.check_mentions(data["mentions"], config.max_mentions)
    if mentions:
        rules.check_mentioned(mentions, await session.app[STORE].member_ids(session.room["id"], mentions))
    parent = rules.parent_of(data["parent_message"], data["parent_message_id"])
    await session.change("send", {
        "message": message, "message_type": "text", "mentions": mentions,
        "parent_message": parent, "client_id": data["client_id"]})


async def edit_message(session: Session, data: dict[str, Any]) -> None:
    data["new_content"] = rules.message_text("new_content", data["new_content"], session.config.max_message_length)
    await session.change("edit", data)


async def delete_message(session: Session, data: dict[str, Any]) -> None:
    await session.change("delete", data)


async def react_message(session: Session, data: dict[str, Any]) -> None:
    await session.change("react", data)


async def pin_message(session: Session, data: dict[str, Any]) -> None:
    await session.change("pin", {**data, "limit": session.config.max_pins})


async def typing(session: Session, data: dict[str, Any]) -> None:
    if session.typing_rate.take():
        session.broadcast_typing(True)
    else:  # over the rate: dropped without an answer, but it spends the error budget
        overrun(session.peer, session.app[METRICS])


async def stop_typing(session: Session, data: dict[str, Any]) -> None:
    if session.peer.typing or session.typing_rate.take():  # a real stop is never dropped
        session.broadcast_typing(False)
    else:
        overrun(session.peer, session.app[METRICS])


Handler = Callable[[Session, dict[str, Any]], Awaitable[None]]
ACTIONS: dict[str, tuple[frames_in.Spec, Handler]] = {
    "send_message": (frames_in.SEND_MESSAGE, send_message),
    "edit_message": (frames_in.EDIT_MESSAGE, edit_message),
    "delete_message": (frames_in.DELETE_MESSAGE, delete_message),
    "react_message": (frames_in.REACT_MESSAGE, react_message),
    "pin_message": (frames_in.PIN_MESSAGE, pin_message),
    "typing": (frames_in.TYPING, typing),
    "stop_typing": (frames_in.TYPING, stop_typing),
}
