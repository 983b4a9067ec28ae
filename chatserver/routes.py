"""Every URL of the server, and the web client's page with the headers it is served with."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from .keys import CONFIG
from .realtime.room_socket import chat_socket
from .realtime.user_stream import user_stream
from .views import (api_docs, direct, health, history, invites, limits, members, moderation, mutes, pins, prometheus,
                    rooms, search, suspensions, uploads, users)

STATIC = Path(__file__).parent / "static"


# The web client loads only its own files and talks only to this server; photos may be elsewhere.
CLIENT_POLICY = ("default-src 'self'; connect-src 'self' {sockets}; img-src 'self' data: blob: https:;"
                 " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


def client_policy(request: web.Request) -> str:
    """The page's CSP: WebSockets only to this server, as CHAT_PUBLIC_URL or the page's own Host names it."""
    public = urlsplit(request.app[CONFIG].public_url).netloc
    hosts = [host for host in dict.fromkeys((public, request.host)) if host and HOST.fullmatch(host)]
    return CLIENT_POLICY.format(sockets=" ".join(f"{scheme}://{host}" for host in hosts for scheme in ("ws", "wss")))


async def index(request: web.Request) -> web.FileResponse:
    """The web client."""
    return web.FileResponse(STATIC / "index.html")


async def client_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The web client's page and files go out with its CSP and no sniffing (an on_response_prepare hook)."""
    if request.path == "/" or request.path.startswith("/static/"):
        response.headers.setdefault("Content-Security-Policy", client_policy(request))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")


REST = (users.routes, rooms.routes, members.routes, history.routes, uploads.routes, health.routes,
        limits.routes, invites.routes, direct.routes, moderation.routes, search.routes, suspensions.routes, mutes.routes,
        pins.routes)


def add_routes(app: web.Application) -> None:
    """Mount REST, WebSocket, metrics, the API's description and the web client."""
    for table in REST:
        app.router.add_routes(table)
    app.router.add_get("/ws/chat/{room_id}/", chat_socket)
    app.router.add_get("/ws/user/", user_stream)
    app.router.add_routes(prometheus.routes)
    app.router.add_routes(api_docs.routes)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
