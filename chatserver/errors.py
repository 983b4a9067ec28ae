"""Errors with stable codes and their HTTP statuses: the domain raises them, both transports answer them."""

from __future__ import annotations

from typing import Any

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
