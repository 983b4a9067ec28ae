"""/metrics after real traffic: every counter equals what was sent, in valid Prometheus text."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})? (\S+)$')


async def scrape(client) -> dict[str, float]:
    """Every sample of /metrics by `name{labels}`, checking the format on the way."""
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    typed: dict[str, str] = {}
    for line in (await resp.text()).splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            typed[name] = kind
        elif not line.startswith("# HELP "):
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
            assert family in typed, f"{name} has no TYPE"
            samples[name + (labels or "")] = float(value)
    return samples


@pytest.fixture
def config(config):
    """Sockets may do 10 persisted actions and then (practically) no more."""
    return config.replace(rate_limit=0.001, rate_burst=10)


async def _frames(ws, count: int) -> list[dict]:
    return [await ws.receive_json(timeout=10) for _ in range(count)]


async def test_counters_match_the_traffic_sent(client, register):
    before = await scrape(client)
    assert before["chat_messages_committed_total"] == 0 and before["chat_open_sockets"] == 0

    asha, ravi = await register("Asha", email="asha@example.org"), await register("Ravi", email="ravi@example.org")
    assert (await client.post("/api/user/login/", json={"email": "asha@example.org", "password": "wrong pass"})).status == 401
    assert (await client.post("/api/user/login/", json={"email": "asha@example.org", "password": "correct horse"})).status == 200
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200
    assert (await client.get("/api/user/me/")).status == 401
    resp = await client.post("/api/chat/create-group/", json={"name": "metrics", "members": [ravi["id"]]},
                             headers=asha.auth)
    assert resp.status == 201
    room = (await resp.json())["room"]["id"]
    assert (await client.get("/api/chat/groups/999/messages/", headers=asha.auth)).status == 404
    refused = await client.get(f"/ws/chat/{room}/?token=bad")
    assert refused.status == 401
    ws_a = await client.ws_connect(f"/ws/chat/{room}/?token={asha['token']}")
    ws_r = await client.ws_connect(f"/ws/chat/{room}/?token={ravi['token']}")

    for i in range(5):
        await ws_a.send_json({"message": f"asha {i}"})
    ids = [f["id"] for f in await _frames(ws_a, 5)]
    await _frames(ws_r, 5)
    for i in range(3):
        await ws_r.send_json({"message": f"ravi {i}"})
    await _frames(ws_a, 3), await _frames(ws_r, 3)
    await ws_a.send_json({"action": "edit_message", "message_id": ids[0], "new_content": "edited"})
    await ws_a.send_json({"action": "react_message", "message_id": ids[1], "reaction": "Like"})
    await ws_a.send_json({"action": "delete_message", "message_id": ids[2]})
    await _frames(ws_a, 3), await _frames(ws_r, 3)
    for i in range(4):  # two more fit Asha's allowance of ten; two are refused
        await ws_a.send_json({"message": f"late {i}"})
    codes = sorted(f.get("code", "sent") for f in await _frames(ws_a, 4))
    assert codes == ["rate_limited", "rate_limited", "sent", "sent"]
    await _frames(ws_r, 2)
    await ws_r.send_json({"action": "dance"})
    await ws_r.send_str("{not json")
    await ws_r.send_str("")
    await ws_r.send_json({"action": "edit_message", "message_id": ids[0], "new_content": "mine now"})
    await ws_r.send_json({"action": "react_message", "message_id": 999999, "reaction": "Like"})
    assert sorted(f["code"] for f in await _frames(ws_r, 5)) == [
        "forbidden", "invalid_json", "invalid_json", "not_found", "unknown_action"]

    m = await scrape(client)
    assert m["chat_messages_committed_total"] == 10
    assert m["chat_events_committed_total"] == 13
    assert m["chat_broadcasts_total"] == 13
    assert m["chat_deliveries_total"] == 26
    assert m["chat_rate_limited_total"] == 2
    assert {k: v for k, v in m.items() if k.startswith("chat_errors_total")} == {
        'chat_errors_total{code="rate_limited"}': 2, 'chat_errors_total{code="unknown_action"}': 1,
        'chat_errors_total{code="invalid_json"}': 2, 'chat_errors_total{code="forbidden"}': 1,
        'chat_errors_total{code="not_found"}': 1}
    assert m["chat_ws_sessions_total"] == 2
    assert m["chat_open_sockets"] == 2 and m["chat_rooms_with_sockets"] == 1
    # 2 registers, 1 login, 1 me, 1 create-group, the first scrape; 401 x3 (login, me, socket), 404; 2 upgrades
    assert {k: v for k, v in m.items() if k.startswith("chat_http_requests_total")} == {
        'chat_http_requests_total{class="2xx"}': 6, 'chat_http_requests_total{class="4xx"}': 4,
        'chat_http_requests_total{class="1xx"}': 2}

    # every change that reached the publisher: 10 sends, edit, react, delete, and the two it refused
    assert m["chat_write_batch_changes_total"] == 15
    batches = m["chat_write_batches_total"]
    assert 1 <= batches <= 15
    assert m['chat_write_batch_duration_seconds_bucket{le="+Inf"}'] == batches
    assert m["chat_write_batch_duration_seconds_count"] == batches
    assert m["chat_write_batch_duration_seconds_sum"] == pytest.approx(m["chat_write_batch_seconds_total"])
    assert 1 <= m["chat_write_batch_changes_max"] <= 15
    assert 0 < m["chat_write_batch_seconds_max"] <= m["chat_write_batch_seconds_total"]

    await ws_a.close()
    await ws_r.close()
    for _ in range(100):
        m = await scrape(client)
        if m["chat_open_sockets"] == 0:
            break
        await asyncio.sleep(0.02)
    assert m["chat_open_sockets"] == 0 and m["chat_rooms_with_sockets"] == 0
    assert m['chat_http_requests_total{class="2xx"}'] >= 7


async def test_a_stalled_event_loop_shows_in_the_lag_gauges(client):
    calm = await scrape(client)
    assert 0 <= calm["chat_event_loop_lag_p99_seconds"] <= calm["chat_event_loop_lag_max_seconds"]
    time.sleep(0.3)  # the server shares this test's event loop: block it
    async with asyncio.timeout(3):  # the gauge shows it once the sampler has woken up, late
        while (stalled := await scrape(client))["chat_event_loop_lag_max_seconds"] < 0.28:
            pass
    assert stalled["chat_event_loop_lag_p99_seconds"] <= stalled["chat_event_loop_lag_max_seconds"]
