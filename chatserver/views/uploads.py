"""REST: attachments: upload into a room (stored under a name of ours), and serve them safely."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .. import shapes
from ..changes import Change
from ..errors import ChatError, not_found
from ..keys import CONFIG, DB, JOURNAL, USER_RATES
from ..schemas import MAX_ID
from ..storage import messages
from .history import member_room
from .request import base_url, json

routes = web.RouteTableDef()

# Images are recognized by their first bytes, never by what the client declares.
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg"),
               b"GIF87a": ("gif", "image/gif"), b"GIF89a": ("gif", "image/gif")}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.[a-z0-9]{1,10}$")
EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")
CHUNK = 64 * 1024


def _image_kind(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    for magic, (ext, _) in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return ext
    return None


async def _save(part: BodyPartReader, media: Path, limit: int) -> tuple[str, str]:
    """Stream the file part to a new name; returns (stored name, message_type)."""
    token = secrets.token_urlsafe(16)
    tmp = media / f".{token}.part"
    size, head = 0, b""
    try:
        with tmp.open("wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ChatError("too_large", f"Attachments are limited to {limit} bytes.")
                if len(head) < 16:
                    head += chunk[:16]
                out.write(chunk)
        declared = (part.headers.get("Content-Type") or "").lower()
        kind = _image_kind(head) if declared.startswith("image/") else None
        if kind:
            ext, message_type = kind, "image"
        else:
            match = EXTENSION.search(part.filename or "")
            ext, message_type = (match.group(1).lower() if match else "bin"), "file"
        name = f"{token}.{ext}"
        tmp.rename(media / name)
        return name, message_type
    finally:
        tmp.unlink(missing_ok=True)


@routes.post(r"/api/chat/groups/{id:\d+}/messages/upload/")
async def upload(request: web.Request) -> web.Response:
    """multipart: attachment (file), content and parent_message optional -> 201 the new message."""
    user, room = await member_room(request)
    request.app[USER_RATES].check(user["id"])  # uploads share the user's message rate
    config = request.app[CONFIG]
    if not request.content_type.startswith("multipart/"):
        raise ChatError("invalid", "Send multipart/form-data with an attachment.",
                        fields={"attachment": ["No file was submitted."]})
    media = Path(config.media_dir)
    fields: dict[str, str] = {}
    stored: tuple[str, str] | None = None
    try:
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "attachment" and part.filename is not None and stored is None:
                    stored = await _save(part, media, config.max_upload_bytes)
                elif part.name in ("content", "parent_message"):
                    fields[part.name] = (await part.read_chunk(config.max_message_length * 4 + 1)).decode("utf-8", "replace")
                else:
                    raise ChatError("invalid", "Unknown field.", fields={part.name or "?": ["Unknown field."]})
        except (ValueError, HttpProcessingError):  # aiohttp's multipart reader: no boundary, a bad header, cut short
            raise ChatError("invalid", "Malformed multipart body.",
                            fields={"attachment": ["Malformed multipart body."]}) from None
        if stored is None:
            raise ChatError("invalid", "No file was submitted.", fields={"attachment": ["No file was submitted."]})
        content = fields.get("content", "").strip()
        if "\x00" in content:
            raise ChatError("invalid", "Null characters are not allowed.",
                            fields={"content": ["Null characters are not allowed."]})
        if len(content) > config.max_message_length:
            raise ChatError("invalid", "Too long.", fields={"content": [
                f"Ensure this field has no more than {config.max_message_length} characters."]})
        parent = fields.get("parent_message") or None
        if parent is not None and (not (parent.isascii() and parent.isdigit()) or not 0 < int(parent) <= MAX_ID):
            raise ChatError("invalid", "Invalid parent.", fields={"parent_message": ["Must be a message id."]})
        name, message_type = stored
        base = base_url(request)
        committed = await request.app[JOURNAL].submit(Change("send", room, user, {
            "message": content, "message_type": message_type, "attachment": name,
            "attachment_url": shapes.media_url(base, name), "mentions": [],
            "parent_message": int(parent) if parent else None, "client_id": None}))
    except Exception:
        if stored is not None:
            (media / stored[0]).unlink(missing_ok=True)
        raise
    row = await messages.get_message(request.app[DB], committed.message_id)
    return json(shapes.message(row, base), status=201)


@routes.get("/media/{name}")
async def media_file(request: web.Request) -> web.StreamResponse:
    """A stored attachment: raster images inline, anything else as a download; never sniffed."""
    name = request.match_info["name"]
    path = Path(request.app[CONFIG].media_dir) / name
    if not STORED_NAME.match(name) or not path.is_file():
        raise not_found()
    ext = name.rsplit(".", 1)[1]
    response = web.FileResponse(path, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Type": IMAGE_TYPES.get(ext, "application/octet-stream"),
        **({} if ext in IMAGE_TYPES else {"Content-Disposition": f'attachment; filename="{name}"'})})
    return response
