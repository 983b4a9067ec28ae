"""Server frames as bytes, serialized once and framed once for every socket that gets them."""

from __future__ import annotations

import struct
from typing import Any

import orjson

from .shapes import media_url

loads = orjson.loads


def dumps(value: Any) -> bytes:
    """JSON bytes; dict keys that are not strings (as in per-item field errors) become strings."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def text_frame(payload: bytes) -> bytes:
    """A whole unmasked, uncompressed WebSocket text frame (RFC 6455 5.2) around payload."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def encode(frame: dict[str, Any]) -> bytes:
    """A frame dict as a ready WebSocket text frame."""
    return text_frame(dumps(frame))


def replayed(event: dict[str, Any], user_id: int, base: str) -> bytes:
    """An event's frame as it was broadcast (JSON), as this user's copy of it: is_self for the
    message's sender, the attachment's URL built on base (the log keeps only the file's name)."""
    frame = loads(event["frame"])
    if frame["sender"]["id"] == user_id or frame.get("attachment"):
        frame["is_self"] = frame["sender"]["id"] == user_id
        frame["attachment"] = media_url(base, frame.get("attachment"))
        return dumps(frame)
    return event["frame"].encode()
