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
from aiohttp.web_protocol import RequestHandler

from .config import Config
from .errors import HTTP_CODES
from .keys import REFUSED_REQUESTS
from .rates import UserRates

log = logging.getLogger("chatserver")

FILES_KEPT = 64  # file descriptors left for the database, its WAL, media files and logs
# An address past its budget of refused requests waits this long, unread, for its 429: a client
# that reconnects at once to refuse again makes a few connections a second, not thousands.
TURN_AWAY_DELAY = 1.0


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


class Handler(RequestHandler):
    """aiohttp's connection handler; a request it cannot parse (a request line or header over the
    size limit, garbage) is answered in JSON that repeats nothing of it, and logged in one line."""

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


class Gate(web.Server):
    """aiohttp's server, refusing a connection past CHAT_MAX_CONNECTIONS or CHAT_MAX_CONNECTIONS_PER_IP
    and closing one that has not sent its first request's headers within CHAT_HEADER_TIMEOUT."""

    def __init__(self, server: web.Server, config: Config, refused: UserRates | None = None, **kwargs: Any) -> None:
        super().__init__(server.request_handler, request_factory=self._request, **kwargs)
        self._refused = refused
        self._make_request = server.request_factory
        self._cap = config.max_connections_per_ip
        self._limit = connection_limit(config)
        self._exempt = frozenset(config.trusted_proxies)
        self._header_timeout = config.header_timeout
        self._open: Counter[str] = Counter()
        self._address: dict[RequestHandler, str] = {}
        self._waiting: dict[RequestHandler, asyncio.TimerHandle] = {}

    def __call__(self) -> RequestHandler:
        return Handler(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        peer = transport.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) else ""
        guarded = address not in self._exempt
        refusal = (IN_ALL if len(self._address) >= self._limit else
                   FROM_ADDRESS if self._cap and guarded and self._open[address] >= self._cap else
                   # past its budget of refused requests: turned away before a byte of it is parsed
                   REFUSED_TOO_OFTEN if guarded and self._refused is not None and self._refused.spent(address)
                   else None)
        if refusal is not None and refusal is not REFUSED_TOO_OFTEN:
            transport.write(refusal)
            handler.force_close()
            return
        self._open[address] += 1  # a connection turned away counts here while it waits
        self._address[handler] = address
        if refusal is REFUSED_TOO_OFTEN:
            transport.pause_reading()
            asyncio.get_running_loop().call_later(TURN_AWAY_DELAY, self._turn_away, handler, transport)
            return
        if self._header_timeout:
            self._waiting[handler] = asyncio.get_running_loop().call_later(
                self._header_timeout, self._too_slow, handler)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        timer = self._waiting.pop(handler, None)
        if timer is not None:
            timer.cancel()
        address = self._address.pop(handler, None)
        if address is not None:
            self._open[address] -= 1
            if not self._open[address]:
                del self._open[address]

    def _request(self, message: Any, payload: Any, protocol: RequestHandler, writer: Any, task: Any) -> web.BaseRequest:
        # Called once a request's headers are whole: the first one ends the header deadline.
        timer = self._waiting.pop(protocol, None)
        if timer is not None:
            timer.cancel()
        return self._make_request(message, payload, protocol, writer, task)

    @staticmethod
    def _turn_away(handler: RequestHandler, transport: asyncio.Transport) -> None:
        if not transport.is_closing():
            transport.write(REFUSED_TOO_OFTEN)
            handler.force_close()
            transport.close()

    def _too_slow(self, handler: RequestHandler) -> None:
        self._waiting.pop(handler, None)
        handler.force_close()


class Runner(web.AppRunner):
    """The application's runner with the connection settings of config: keep-alive, the gate above."""

    def __init__(self, app: web.Application, config: Config, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=config.keepalive_timeout, **kwargs)
        self._config = config

    async def _make_server(self) -> web.Server:
        return Gate(await super()._make_server(), self._config, self.app[REFUSED_REQUESTS], **self._kwargs)
