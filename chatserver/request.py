"""What HTTP requests of both transports need: the caller, a body, a path id, the address, errors as JSON."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

import orjson
from aiohttp import web
from marshmallow import Schema

from .errors import HTTP_CODES, ChatError, not_found
from .keys import CONFIG, SESSIONS, STORE
from .bodies import body_limit, load
from .fields import parse_id
from .store import Row

log = logging.getLogger("chatserver")
USER = web.RequestKey("user", dict)


async def caller(request: web.Request) -> Row:
    """The authenticated user of this request (401 otherwise), looked up once."""
    if USER not in request:
        user = await request.app[SESSIONS].user_for_token(request_token(request), client_address(request))
        if user is None:
            raise ChatError("unauthorized", "Authentication credentials were not provided or are invalid.")
        request[USER] = user
    return request[USER]


def request_token(request: web.Request, query: bool = False) -> str | None:
    """The token of a request: `Authorization: Token|Bearer <key>`, or with query=True also ?token=."""
    if query and request.query.get("token"):
        return request.query["token"]
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and key.strip():
        return key.strip()
    return None


async def body(request: web.Request, schema: Schema) -> dict[str, Any]:
    """The JSON body validated by schema; 400 for malformed JSON, 413 when too large, 408 when too slow."""
    limit = min(request.app[CONFIG].max_body_bytes, body_limit(schema))
    if request.content_length is not None and request.content_length > limit:
        raise ChatError("too_large", "Request body too large.")
    try:
        async with asyncio.timeout(request.app[CONFIG].body_timeout or None):
            raw = await _read_at_most(request, limit)
    except TimeoutError:
        raise ChatError("timeout", "The request body did not arrive in time.", status=408) from None
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ChatError("invalid_json", "Malformed JSON body.") from None
    return load(schema, data)


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    # content.read(n) returns whatever has arrived, so a body in several packets needs a loop.
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ChatError("too_large", "Request body too large.")
    return b"".join(chunks)


def path_id(request: web.Request, name: str = "id") -> int:
    """A positive integer from the URL path; 404 for anything else."""
    value = parse_id(request.match_info.get(name))
    if value is None:
        raise not_found()
    return value


def json(data: Any, status: int = 200) -> web.Response:
    """A JSON response encoded with orjson."""
    return web.Response(body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status, content_type="application/json")


def base_url(request: web.Request) -> str:
    """Where this server is reached, for absolute media URLs: never a Host that is not ours."""
    config = request.app[CONFIG]
    if config.public_url:
        return config.public_url
    host, local = request.host.lower(), _local_address(request)
    if host not in config.allowed_hosts and host != local:
        host = local  # a forged Host (e.g. "ours@evil.example") must not reach other members' URLs
    return f"{request.scheme}://{host}"


def _local_address(request: web.Request) -> str:
    """host:port of this server's end of the connection, which the client cannot choose."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not isinstance(sockname, tuple):
        return "localhost"
    address, port = sockname[0], sockname[1]
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last untrusted X-Forwarded-For hop."""
    trusted = request.app[CONFIG].trusted_proxies
    address = request.remote or ""
    if address not in trusted:
        return address
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return address


@web.middleware
async def error_middleware(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    """Every failure of a REST request answers JSON with the right status, never a traceback."""
    try:
        return await handler(request)
    except ChatError as exc:
        response = web.json_response(exc.body(), status=exc.status)
        if exc.status == 429 and "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        if exc.status == 408:  # the rest of that body may never come: the connection ends here
            response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        detail = exc.reason if exc.status != 413 else "Request body too large."
        response = web.json_response(
            {"detail": detail, "code": HTTP_CODES.get(exc.status, "error")}, status=exc.status)
        for header in ("Allow", "Retry-After"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except web.RequestPayloadError:  # a body that cannot be decoded (bad Content-Encoding, broken chunks)
        return web.json_response({"detail": "The request body could not be read.", "code": "bad_request"},
                                 status=400)
    except Exception as exc:
        store = request.app.get(STORE)
        if store is not None and store.not_taking_writes(exc):
            log.warning("database not taking writes on %s %s: %s", request.method, request.path, exc)
            return web.json_response({"detail": "The database is not taking writes right now; try again.",
                                      "code": "unavailable", "retry_after": 1}, status=503,
                                     headers={"Retry-After": "1"})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"detail": "Internal server error.", "code": "internal"}, status=500)


def query_int(request: web.Request, name: str, default: int | None, minimum: int = 1) -> int | None:
    """An integer query parameter of at least minimum (default when absent or empty); else 400."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    value = parse_id(raw, minimum)
    if value is None:
        raise ChatError("invalid", f"{name} must be an integer of at least {minimum}.",
                        fields={name: [f"Must be an integer of at least {minimum}."]})
    return value
