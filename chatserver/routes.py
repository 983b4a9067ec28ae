"""Every URL of the server, mounted in one place."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .realtime.socket import chat_socket
from .views import health, history, members, meta, rooms, uploads, users

STATIC = Path(__file__).parent / "static"


async def index(request: web.Request) -> web.FileResponse:
    """The web client."""
    return web.FileResponse(STATIC / "index.html")


def add_routes(app: web.Application) -> None:
    """Mount REST, WebSocket, media and the web client."""
    for table in (users.routes, rooms.routes, members.routes, history.routes, uploads.routes, health.routes):
        app.router.add_routes(table)
    app.router.add_get("/ws/chat/{room_id}/", chat_socket)
    meta.mount(app)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
