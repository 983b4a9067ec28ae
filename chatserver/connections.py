"""HTTP connections before any handler runs: a cap per client address, a deadline for the first request,
and an address past its budget of refused requests turned away unread."""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import Counter
from typing import Any

import orjson
from aiohttp import web

from .config import Config
from .errors import HTTP_CODES
from .rates import UserRates

log = logging.getLogger("chatserver")

FILES_KEPT = 64  # file descriptors left for the database, its WAL, media files and logs
# An address past its budget of refused requests waits this long, unread, for its 429: a client
# that reconnects at once to refuse again makes a few connections a second, not thousands.
TURN_AWAY_DELAY = 1.0
HEADERS_END = b"\r\n\r\n"  # the parser takes nothing else as a request's end of headers


def _refusal(answer: dict[str, str], status: bytes = b"503 Service Unavailable", headers: bytes = b"") -> bytes:
    body = orjson.dumps(answer)
    return (b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n%s"
            b"Content-Length: %d\r\n\r\n%s" % (status, headers, len(body), body))


FROM_ADDRESS = _refusal({"detail": "Too many open connections from this address.", "code": "too_many_connections"})
IN_ALL = _refusal({"detail": "Too many open connections; try again shortly.", "code": "too_many_connections"})
REFUSED_TOO_OFTEN = _refusal({"detail": "Too many refused requests from this address; slow down.",
                              "code": "rate_limited"}, b"429 Too Many Requests", b"Retry-After: 1\r\n")


def connection_limit(config: Config) -> int:
    """CHAT_MAX_CONNECTIONS, or when 0 the process's file limit less what the server keeps for itself."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    fit = soft - FILES_KEPT if soft != resource.RLIM_INFINITY else 1 << 20
    return config.max_connections or max(fit, 1)


class Gate:
    """Counts open connections per client address and in all, and decides which one to turn away;
    called as a protocol factory, it makes the connection's Handler."""

    def __init__(self, server: web.Server, config: Config, refused: UserRates | None,
                 settings: dict[str, Any]) -> None:
        self.server = server
        self.settings = settings
        self.header_timeout = config.header_timeout
        self.refused = refused
        self.cap = config.max_connections_per_ip
        self.limit = connection_limit(config)
        self.exempt = frozenset(config.trusted_proxies)
        self.open: Counter[str] = Counter()
        self.address: dict[Handler, str] = {}

    def __call__(self) -> Handler:
        return Handler(self)

    def admit(self, handler: Handler, transport: asyncio.Transport) -> bytes | None:
        """The refusal a new connection gets (None to serve it); one not refused at once is counted."""
        peer = transport.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) else ""
        guarded = address not in self.exempt
        if len(self.address) >= self.limit:
            return IN_ALL
        if self.cap and guarded and self.open[address] >= self.cap:
            return FROM_ADDRESS
        self.open[address] += 1  # a connection turned away counts here while it waits
        self.address[handler] = address
        # past its budget of refused requests: turned away before a byte of it is parsed
        return REFUSED_TOO_OFTEN if guarded and self.refused is not None and self.refused.spent(address) else None

    def release(self, handler: Handler) -> None:
        """Forget a closed connection."""
        address = self.address.pop(handler, None)
        if address is not None:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]


class Handler(web.RequestHandler):
    """aiohttp's connection handler behind the gate: closed if its first request's headers are not whole
    within CHAT_HEADER_TIMEOUT; a request it cannot parse (a request line or header over the size limit,
    garbage) is answered in JSON that repeats nothing of it, and logged in one line."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(gate.server, loop=asyncio.get_running_loop(), **gate.settings)
        self.gate = gate
        self.header_deadline: asyncio.TimerHandle | None = None
        self.header_tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert isinstance(transport, asyncio.Transport)
        refusal = self.gate.admit(self, transport)
        loop = asyncio.get_running_loop()
        if refusal is REFUSED_TOO_OFTEN:
            transport.pause_reading()
            loop.call_later(TURN_AWAY_DELAY, self.turn_away, transport)
        elif refusal is not None:
            transport.write(refusal)
            self.force_close()
        elif self.gate.header_timeout:
            self.header_deadline = loop.call_later(self.gate.header_timeout, self.too_slow)

    def data_received(self, data: bytes) -> None:
        if self.header_deadline is not None:
            # blank lines before the request line are skipped by the parser: they are not headers
            seen = self.header_tail + data if self.header_tail else data.lstrip(b"\r\n")
            if HEADERS_END in seen:  # the first request's headers are whole: the deadline is met
                self.header_deadline.cancel()
                self.header_deadline = None
            self.header_tail = seen[-len(HEADERS_END) + 1:]
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None
        self.gate.release(self)

    def turn_away(self, transport: asyncio.Transport) -> None:
        """Answer 429 to a connection from an address past its refusal budget, and close it."""
        if not transport.is_closing():
            transport.write(REFUSED_TOO_OFTEN)
            self.force_close()
            transport.close()

    def too_slow(self) -> None:
        """Close a connection whose first request's headers did not arrive in time."""
        self.header_deadline = None
        self.force_close()

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent, cannot send an error")
        if status >= 500:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
            detail = "Internal server error."
        else:
            log.debug("unreadable request from %s: %s", request.remote, type(exc).__name__)
            detail = "The request could not be read."
        code = "internal" if status >= 500 else HTTP_CODES.get(status, "error")
        response = web.json_response({"detail": detail, "code": code}, status=status)
        response.force_close()
        return response
