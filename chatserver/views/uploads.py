"""REST: attachments: upload into a room (stored under a name of ours), and serve them safely."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from aiohttp import web

from .. import media, rules, shapes
from ..room_changes import Change, Committed
from ..config import Config
from ..errors import ChatError, not_found
from ..keys import CONFIG, PUBLISHER, STORE, UPLOAD_RATES, USER_RATES
from ..request import base_url, json
from ..store import Row
from .history import member_room
from .upload_form import IMAGE_TYPES, Form, read_form

routes = web.RouteTableDef()


async def _within_quota(request: web.Request, user_id: int, config: Config) -> int:
    """Refuse an upload past the user's rate or stored bytes; returns the bytes they have stored."""
    if not request.app[UPLOAD_RATES].take(user_id):
        raise ChatError("rate_limited", "Too many uploads in a short time; try again in a minute.",
                        retry_after=60)
    if not config.upload_quota_bytes:
        return 0
    used = await media.stored_bytes(config, await request.app[STORE].attachments_of(user_id))
    if used >= config.upload_quota_bytes:
        raise ChatError("quota_exceeded", f"Your attachments already take {used} of the"
                        f" {config.upload_quota_bytes} bytes allowed; delete some first.", status=413)
    return used


def _check_multipart(request: web.Request) -> None:
    """An upload is a multipart form."""
    if not request.content_type.startswith("multipart/"):
        raise ChatError("invalid", "Send multipart/form-data with an attachment.",
                        fields={"attachment": ["No file was submitted."]})


async def _read(request: web.Request, config: Config, form: Form, used: int) -> None:
    """Read the form into `form`: one stored file within the user's quota and the disk's free space."""
    await read_form(request, config, form)
    if form.name is None:
        raise ChatError("invalid", "No file was submitted.", fields={"attachment": ["No file was submitted."]})
    if config.upload_quota_bytes and used + form.size > config.upload_quota_bytes:
        raise ChatError("quota_exceeded", f"This file would take your attachments past the"
                        f" {config.upload_quota_bytes} bytes allowed.", status=413)
    media.check_free_space(config)


async def _send(request: web.Request, room: Row, user: Row, form: Form, base: str) -> Committed:
    """Send the stored file as a message, captioned by the form's text and replying to its parent."""
    config = request.app[CONFIG]
    content = rules.message_text("content", form.fields.get("content", ""), config.max_message_length, blank=True)
    parent = rules.parent_field(form.fields.get("parent_message"))
    return await request.app[PUBLISHER].submit(Change("send", room, user, {
        "message": content, "message_type": form.message_type, "attachment": form.name,
        "mentions": [], "parent_message": parent, "client_id": None}, base=base))


@asynccontextmanager
async def _removed_on_failure(config: Config, form: Form) -> AsyncIterator[None]:
    """The file an upload stored is removed if the upload fails after storing it."""
    try:
        yield
    except Exception:
        if form.name is not None:
            await media.remove(config, [form.name])
        raise


@routes.post(r"/api/chat/groups/{id:\d+}/messages/upload/")
async def upload(request: web.Request) -> web.Response:
    """multipart: attachment (file), content and parent_message optional -> 201 the new message."""
    user, room = await member_room(request)
    rules.check_may_post(bool(room["read_only"]), rules.may_moderate(room, user))  # checked again at the write
    request.app[USER_RATES].check(user["id"])  # uploads share the user's message rate
    config = request.app[CONFIG]
    _check_multipart(request)
    used = await _within_quota(request, user["id"], config)
    media.check_free_space(config, request.content_length or 0)
    form, base = Form(), base_url(request)
    async with _removed_on_failure(config, form):
        await _read(request, config, form, used)
        committed = await _send(request, room, user, form, base)
    row = await request.app[STORE].get_message(committed.message_id)
    return json(shapes.message(row, base, user["id"]), status=201)


@routes.get("/media/{name}")
async def media_file(request: web.Request) -> web.StreamResponse:
    """A stored attachment: raster images inline, anything else as a download; never sniffed."""
    name = request.match_info["name"]
    path = Path(request.app[CONFIG].media_dir) / name
    if not media.STORED_NAME.match(name) or not path.is_file():
        raise not_found()
    ext = name.rsplit(".", 1)[1]
    response = web.FileResponse(path, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Type": IMAGE_TYPES.get(ext, "application/octet-stream"),
        **({} if ext in IMAGE_TYPES else {"Content-Disposition": f'attachment; filename="{name}"'})})
    return response
