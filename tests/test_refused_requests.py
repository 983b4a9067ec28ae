"""An address that keeps sending what the server refuses is answered 429 before its bodies are read."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.keys import METRICS


@pytest.fixture
def config(config):
    return config.replace(refused_rate=0.5, refused_burst=5)


async def raw_request(client, head: bytes, source: str = "127.0.0.1") -> bytes:
    """Send head (and nothing more) from source; the server's answer, head and body."""
    reader, writer = await asyncio.open_connection(client.host, client.port, local_addr=(source, 0))
    writer.write(head)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = int(answer.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        return answer + await asyncio.wait_for(reader.readexactly(length), 5)
    finally:
        writer.close()


async def test_an_address_past_its_budget_is_answered_429_without_its_body_being_read(client, register):
    asha = await register("Asha")
    for _ in range(5):  # five refusals: the whole burst
        assert (await client.post("/api/chat/create-group/", headers=asha.auth, json={"name": ""})).status == 400
    # a 1 MiB body is announced but never sent: only an answer that skips the body can arrive
    answer = await raw_request(client, (
        b"POST /api/chat/create-group/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Token " + asha.token.encode() + b"\r\nContent-Length: 1048576\r\n\r\n{\"name\":"))
    assert answer.startswith(b"HTTP/1.1 429") and b'"code":"rate_limited"' in answer.replace(b" ", b"")
    assert b"Retry-After: 2" in answer and b"Connection: close" in answer
    me = await client.get("/api/user/me/", headers=asha.auth)  # even a good request waits its turn
    assert me.status == 429
    assert client.app[METRICS].value("chat_refused_requests_cut_total") == 2


async def test_another_address_and_answers_that_are_not_refusals_spend_nothing(client, register):
    asha = await register("Asha")
    for _ in range(20):  # successes cost nothing
        assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200
    for _ in range(5):
        assert (await client.get("/api/no/such/path/")).status == 404
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 429
    head = b"GET /api/user/me/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Token " \
        + asha.token.encode() + b"\r\n\r\n"
    assert (await raw_request(client, head, source="127.0.0.2")).startswith(b"HTTP/1.1 200")


async def test_the_budget_refills(client, register, config):
    asha = await register("Asha")
    for _ in range(5):
        assert (await client.get("/api/no/such/path/")).status == 404
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 429
    await asyncio.sleep(1 / config.refused_rate)  # the refill is the behaviour under test: one token
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200


async def test_zero_turns_the_budget_off(make_client, config, tmp_path):
    cl = await make_client(config.replace(refused_rate=0, db=str(tmp_path / "off.db")))
    for _ in range(30):
        assert (await cl.get("/api/no/such/path/")).status == 404
    assert (await cl.get("/healthz")).status == 200
