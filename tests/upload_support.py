"""Uploads as clients send them: a tiny PNG, an aiohttp form, and hand-built multipart bodies over a raw socket."""

from __future__ import annotations

import asyncio

import aiohttp

BOUNDARY = "hostile0boundary"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
       b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00"
       b"\x00IEND\xaeB`\x82")


def form(data: bytes, filename: str, content_type: str, **fields: str) -> aiohttp.FormData:
    f = aiohttp.FormData()
    f.add_field("attachment", data, filename=filename, content_type=content_type)
    for key, value in fields.items():
        f.add_field(key, value)
    return f


def part(name: str, value: bytes, filename: str | None = None, content_type: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return (head + "\r\n").encode() + value + b"\r\n"


def own(config, tmp_path, **changes):
    """Settings for a second server beside the default one: its own database and media folder."""
    return config.replace(db=str(tmp_path / "own.db"), media_dir=str(tmp_path / "own"), **changes)


def end() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


async def raw_post(client, path: str, user, body: bytes, pieces: int = 1, host: str | None = None) -> tuple[int, bytes]:
    """POST body over a raw socket in `pieces` separate writes; the server reads each before the next."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host or f'{client.host}:{client.port}'}\r\n"
            f"Authorization: Token {user.token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    writer.write(head)
    await writer.drain()
    step = -(-len(body) // pieces)
    for start in range(0, len(body), step):
        writer.write(body[start:start + step])
        await writer.drain()
        for _ in range(5):  # the server runs on this event loop: let it take this segment on its own
            await asyncio.sleep(0)
    answer = await reader.read()
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]
