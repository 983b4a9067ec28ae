"""Ceiling relay: bare aiohttp relaying each text frame to every socket of its room."""

import argparse
import asyncio
import struct
from collections import defaultdict

from aiohttp import WSMsgType, web

SLOW_BYTES = 1 << 20
Peers = dict[web.WebSocketResponse, asyncio.Transport]
ROOMS = web.AppKey("rooms", defaultdict[str, Peers])


def text_frame(payload: bytes) -> bytes:
    """Build one unmasked server-to-client text frame (RFC 6455, FIN set)."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def relay(peers: Peers, payload: bytes) -> None:
    """Write one prepared frame to every peer without awaiting any of them."""
    frame = text_frame(payload)
    for ws, transport in list(peers.items()):
        if transport.is_closing() or transport.get_write_buffer_size() > SLOW_BYTES:
            peers.pop(ws, None)
            transport.abort()
        else:
            transport.write(frame)


async def chat(request: web.Request) -> web.WebSocketResponse:
    """Accept any room and any token, then relay every text frame to the room."""
    ws = web.WebSocketResponse(compress=False, decode_text=False, max_msg_size=1 << 16)
    await ws.prepare(request)
    peers = request.app[ROOMS][request.match_info["room_id"]]
    assert request.transport is not None
    peers[ws] = request.transport
    try:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                relay(peers, msg.data)
    finally:
        peers.pop(ws, None)
    return ws


def create_app() -> web.Application:
    """Build the relay application."""
    app = web.Application()
    app[ROOMS] = defaultdict(dict)
    app.router.add_get("/ws/chat/{room_id}/", chat)
    return app


def main() -> None:
    """Serve the relay on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    ready = f"Serving on http://{args.host}:{args.port}"
    web.run_app(
        create_app(),
        host=args.host,
        port=args.port,
        access_log=None,
        print=lambda _: print(ready, flush=True),
    )


if __name__ == "__main__":
    main()
