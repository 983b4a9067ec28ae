"""What a stranger on the internet gets from the server: the page's policy, /metrics, the proxy's log."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path


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


async def test_metrics_are_for_allowed_addresses_or_the_metrics_token(make_client, config):
    client = await make_client(config.replace(metrics_allow=("192.0.2.1",), metrics_token="s3cret-scraper"))
    refused = await client.get("/metrics")
    assert refused.status == 403 and (await refused.json())["code"] == "forbidden"
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 403
    reader, writer = await asyncio.open_connection(client.host, client.port)  # a token that is not UTF-8
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer s3cr\xe9t\r\n\r\n")
    assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.1 403")
    writer.close()
    resp = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"})
    assert resp.status == 200 and "chat_broadcasts_total" in await resp.text()


async def test_metrics_from_this_machine_pass_unless_relayed_by_an_untrusted_proxy(make_client, config):
    client = await make_client(config)
    assert (await client.get("/metrics")).status == 200
    relayed = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status == 403
    trusted = await make_client(config.replace(db=config.db + "2", trusted_proxies=("127.0.0.1",)))
    assert (await trusted.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})).status == 403
    assert (await trusted.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})).status == 200


def test_the_nginx_example_logs_no_query_string():
    """Tokens travel in WebSocket URLs (?token=): the proxy example in DEPLOY.md must not write them to its log."""
    deploy = (Path(__file__).resolve().parent.parent / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    nginx = "\n".join(re.findall(r"```nginx\n(.*?)```", deploy, re.S))
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", nginx))
    logs = re.findall(r"access_log\s+(\S+)(?:\s+(\w+))?\s*;", nginx)
    assert logs and all(fmt in formats for _, fmt in logs), "every access_log names a format defined beside it"
    for fmt in {fmt for _, fmt in logs}:
        assert not re.search(r"\$(request|request_uri|args|query_string|arg_token)\b", formats[fmt]), formats[fmt]
