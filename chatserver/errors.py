"""Errors with stable codes, and the one middleware that turns any error into JSON."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

log = logging.getLogger("chatserver")
MAX_ERRORS = 5  # errors named in one answer; the rest are counted, so a refusal stays small


class ChatError(Exception):
    """A request or frame the server will not carry out; code is stable, message is for people."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None,
                 fields: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or {"not_found": 404, "forbidden": 403, "rate_limited": 429,
                                 "unauthorized": 401, "too_large": 413}.get(code, 400)
        self.fields = fields
        self.extra = extra

    def frame(self) -> dict[str, Any]:
        """The WebSocket error frame."""
        out: dict[str, Any] = {"action": "error", "code": self.code, "error": self.message}
        if self.fields is not None:
            out["fields"] = self.fields
        out.update(self.extra)
        return out

    def body(self) -> dict[str, Any]:
        """The REST error body: DRF field errors when there are fields, else detail."""
        if self.fields is not None:
            return {k: v if isinstance(v, list) else [v] for k, v in _flatten(self.fields).items()}
        return {"detail": self.message, "code": self.code, **self.extra}


def _flatten(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in _flatten(value).items()})
        else:
            out[key] = value
    return out


def not_found(what: str = "Not found.") -> ChatError:
    """404 with a sentence."""
    return ChatError("not_found", what)


def forbidden(why: str) -> ChatError:
    """403 with a sentence."""
    return ChatError("forbidden", why)


def invalid(fields: dict[str, Any], message: str = "Invalid input.") -> ChatError:
    """400 with field errors."""
    return ChatError("invalid", message, fields=fields)


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}


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
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"detail": "Internal server error.", "code": "internal"}, status=500)
