"""Every URL of the server, mounted in one place."""

from __future__ import annotations

from aiohttp import web

from .realtime.socket import chat_socket
from .views import health, history, rooms, uploads, users


def add_routes(app: web.Application) -> None:
    """Mount REST, WebSocket, media and the web client."""
    for table in (users.routes, rooms.routes, history.routes, uploads.routes, health.routes):
        app.router.add_routes(table)
    app.router.add_get("/ws/chat/{room_id}/", chat_socket)
