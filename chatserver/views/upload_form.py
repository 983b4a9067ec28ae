"""An upload's multipart form, read with bounds: at most three parts, text read whole, files streamed."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, MultipartReader, StreamReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .. import rules
from ..config import Config
from ..errors import ChatError

# Images are recognized by their first bytes, never by what the client declares.
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg"),
               b"GIF87a": ("gif", "image/gif"), b"GIF89a": ("gif", "image/gif")}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")
CHUNK = 64 * 1024
PARTS = ("attachment", "content", "parent_message")  # each at most once: a form has at most three parts
PREAMBLE_LINES = 4


class Body:
    """The request body as aiohttp's multipart reader reads it, refused past PREAMBLE_LINES lines before
    the first boundary (the reader takes one line per loop turn: megabytes of blank lines before the
    first boundary held the event loop for seconds)."""

    def __init__(self, content: StreamReader, content_type: str) -> None:
        self.content = content
        self.boundary = _boundary(content_type)
        self.preamble: int | None = 0  # lines read before the first boundary; None once it is found

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        line = await self.content.readline(max_line_length=max_line_length)
        if self.preamble is not None:
            self.preamble += 1
            if line.rstrip() in (self.boundary, self.boundary + b"--"):
                self.preamble = None
            elif self.preamble >= PREAMBLE_LINES:
                raise ValueError("The body must start with its boundary.")
        return line

    async def read(self, n: int = -1) -> bytes:
        return await self.content.read(n)

    def at_eof(self) -> bool:
        return self.content.at_eof()

    def unread_data(self, data: bytes) -> None:
        self.content.unread_data(data)  # the reader gives back what it read past a part's end


def _boundary(content_type: str) -> bytes:
    """The boundary line of a multipart Content-Type, its parameters split as aiohttp's reader splits them."""
    for item in content_type.split(";")[1:]:
        key, _, value = item.partition("=")
        if key.strip().lower() == "boundary":
            return b"--" + value.strip(' "').encode()
    return b""  # the reader refuses a multipart type without a boundary


@dataclass(slots=True)
class Form:
    """What an upload's parts carried: the stored file (name, type, size) and the text fields."""

    name: str | None = None
    message_type: str = "file"
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


def _image_kind(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    for magic, (ext, _) in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return ext
    return None


async def _save(part: BodyPartReader, folder: Path, limit: int, form: Form) -> None:
    """Stream the file part to a new name of ours; a partial file never survives a failure."""
    token = secrets.token_urlsafe(16)
    tmp = folder / f".{token}.part"
    size, head = 0, b""
    try:
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:  # private
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
            ext, form.message_type = kind, "image"
        else:
            match = EXTENSION.search(part.filename or "")
            ext, form.message_type = (match.group(1).lower() if match else "bin"), "file"
        tmp.rename(folder / f"{token}.{ext}")
        form.name, form.size = f"{token}.{ext}", size
    finally:
        tmp.unlink(missing_ok=True)


async def _text(part: BodyPartReader, limit: int, why: str) -> str:
    """A text part read whole, however many segments it arrives in; refused past limit bytes."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise ChatError("invalid", why, fields={part.name or "?": [why]})
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ChatError("invalid", "Not UTF-8 text.", fields={part.name or "?": ["Must be UTF-8 text."]}) from None


async def read_form(request: web.Request, config: Config, form: Form) -> None:
    """Read the parts in order; an unknown, repeated or nested part ends the upload at once."""
    too_long = rules.too_long(config.max_message_length)
    try:
        body = Body(request.content, request.headers.get("Content-Type", ""))
        reader = MultipartReader(request.headers, body, client_max_size=config.max_upload_bytes + 65536)  # type: ignore[arg-type]
        while (part := await reader.next()) is not None:
            name = part.name if isinstance(part, BodyPartReader) else None
            if name not in PARTS or name in form.fields or (name == "attachment" and form.name is not None):
                label = (name or "?")[:40]  # the answer stays small whatever name was sent
                raise ChatError("invalid", "Unknown or repeated field.", fields={label: [
                    "Unknown or repeated field: send attachment, content and parent_message at most once each."]})
            if name == "attachment":
                if part.filename is None:
                    raise ChatError("invalid", "No file was submitted.", fields={"attachment": ["Not a file."]})
                await _save(part, Path(config.media_dir), config.max_upload_bytes, form)
            elif name == "content":
                form.fields[name] = await _text(part, config.max_message_length * 4 + 64, too_long)
            else:
                form.fields[name] = await _text(part, 20, rules.NOT_A_MESSAGE_ID)
    except (ValueError, HttpProcessingError):  # aiohttp's multipart reader: no boundary, a bad header, cut short
        raise ChatError("invalid", "Malformed multipart body.",
                        fields={"attachment": ["Malformed multipart body."]}) from None
