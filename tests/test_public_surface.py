"""What a stranger on the internet gets from the server: the page's policy, /metrics, parse errors."""

from __future__ import annotations

import asyncio
import re

import orjson


def directive(policy: str, name: str) -> list[str]:
    """The sources of one CSP directive."""
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"no {name} in {policy!r}")


async def test_the_page_may_open_websockets_to_this_server_only(client):
    resp = await client.get("/")
    host = f"{client.host}:{client.port}"
    assert directive(resp.headers["Content-Security-Policy"], "connect-src") == ["'self'", f"ws://{host}", f"wss://{host}"]


async def test_the_public_url_is_named_and_a_strange_host_is_not(make_client, config):
    client = await make_client(config.replace(public_url="https://chat.example.org"))
    resp = await client.get("/", headers={"Host": "evil.example; script-src *"})
    sources = directive(resp.headers["Content-Security-Policy"], "connect-src")
    assert sources == ["'self'", "ws://chat.example.org", "wss://chat.example.org"]
    assert "script-src" not in resp.headers["Content-Security-Policy"]

