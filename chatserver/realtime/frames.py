"""Server frames, serialized once and framed once for every socket that gets them."""

from __future__ import annotations

import struct
from typing import Any

import orjson

dumps = orjson.dumps
loads = orjson.loads


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
