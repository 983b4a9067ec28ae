"""Slow and idle HTTP connections on raw sockets, against the server as `serve` runs it (runner.Runner)."""

from __future__ import annotations

import asyncio
import time
import resource
from typing import AsyncIterator, Callable

import orjson
import pytest
from aiohttp import web

from chatserver.app import create_app
from chatserver.config import Config
from chatserver.connections import FILES_KEPT, TURN_AWAY_DELAY, connection_limit
from chatserver.runner import Runner

WAIT = 10.0  # the longest any test waits for the server to act; every deadline below is far shorter


@pytest.fixture
async def serve(config) -> AsyncIterator[Callable]:
    """Start the app on a free loopback port with some settings changed; returns its port."""
    runners: list[web.AppRunner] = []

    async def start(**settings) -> int:
        runner = Runner(create_app(config.replace(**settings)), config.replace(**settings))
        await runner.setup()
        runners.append(runner)
        await runner.listen("127.0.0.1", 0)
        return runner.addresses[0][1]

    yield start
    for runner in runners:
        await runner.cleanup()


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), WAIT)


async def request(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send raw bytes on a new connection; the status and body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    answer = await closed_by_server(reader)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


GET_HEALTH = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


async def test_a_connection_that_never_finishes_its_headers_is_closed(serve):
    port = await serve(header_timeout=0.3)
    silent = await asyncio.open_connection("127.0.0.1", port)
    slow = await asyncio.open_connection("127.0.0.1", port)
    slow[1].write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert await closed_by_server(silent[0]) == b""
    assert await closed_by_server(slow[0]) == b""
    assert (await request(port, GET_HEALTH))[0] == 200
    for _, writer in (silent, slow):
        writer.close()


async def test_blank_lines_before_a_request_line_do_not_meet_the_header_deadline(serve):
    port = await serve(header_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"\r\n\r\n\r\n")
    assert await closed_by_server(reader) == b""
    writer.close()


async def test_an_idle_keep_alive_connection_is_closed(serve):
    port = await serve(keepalive_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 200") and b'"ok"' in answer
    writer.close()


async def test_a_body_that_trickles_in_is_answered_408(serve):
    port = await serve(body_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /api/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"email\": ")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1])
    body = orjson.loads(await reader.readexactly(length))
    assert head.startswith(b"HTTP/1.1 408") and b"Connection: close" in head
    assert body == {"detail": "The request body did not arrive in time.", "code": "timeout"}
    writer.close()


async def test_connections_per_address_are_capped_and_freed_when_closed(serve):
    """30 connections held open from one address against a cap of 10: 20 are answered 503, others still get in."""
    port = await serve(max_connections_per_ip=10)
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(30)]
    for reader, _ in held[:10]:
        assert not reader.at_eof()
    refused = [await closed_by_server(reader) for reader, _ in held[10:]]
    assert all(r.startswith(b"HTTP/1.1 503") for r in refused)
    assert orjson.loads(refused[0].partition(b"\r\n\r\n")[2])["code"] == "too_many_connections"
    held[0][1].close()
    for _ in range(100):  # the server frees the slot when it sees the close: retry until it has
        status, _ = await request(port, GET_HEALTH)
        if status == 200:
            break
    assert status == 200
    for _, writer in held[1:]:
        writer.close()


async def test_trusted_proxies_are_not_capped(serve):
    port = await serve(max_connections_per_ip=2, trusted_proxies=("127.0.0.1",))
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
    assert (await request(port, GET_HEALTH))[0] == 200
    for _, writer in held:
        writer.close()


@pytest.mark.parametrize("raw", [
    b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 10000 + b"\r\n\r\n",
    b"GET<script>aaaa /\r\n\r\n",
], ids=["long-request-line", "long-header", "garbage"])
async def test_an_unreadable_request_gets_json_that_repeats_none_of_it(serve, raw):
    port = await serve()
    status, body = await request(port, raw)
    assert (status, orjson.loads(body)) == (400, {"detail": "The request could not be read.", "code": "bad_request"})
    assert b"aaaa" not in body and b"script" not in body


async def test_connections_in_all_are_capped_below_the_file_limit(serve):
    port = await serve(max_connections=5, max_connections_per_ip=0)
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
    status, body = await request(port, GET_HEALTH)
    assert (status, orjson.loads(body)["code"]) == (503, "too_many_connections")
    for _, writer in held:
        writer.close()


def test_the_default_connection_limit_leaves_files_for_the_database(config):
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert connection_limit(config) == soft - FILES_KEPT
    assert connection_limit(config.replace(max_connections=7)) == 7


async def test_an_address_past_its_refusal_budget_is_turned_away_before_it_sends_a_byte(serve):
    """Once an address has spent its budget of refused requests, a new connection is answered 429
    and closed at once: nothing it sends is read or parsed."""
    port = await serve(refused_rate=0.01, refused_burst=3)
    for _ in range(3):
        status, _ = await request(port, b"GET /no/such/path/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status == 404
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    answer = await closed_by_server(reader)  # without writing anything
    waited = time.monotonic() - started
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 429") and b"Retry-After: 1" in head
    assert waited >= TURN_AWAY_DELAY * 0.9, "turned away at once: a client could reconnect thousands of times a second"
    assert orjson.loads(body)["code"] == "rate_limited"
