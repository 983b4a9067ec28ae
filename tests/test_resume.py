"""Reconnect with after_seq: every missed event once, in order, in its live shape, then live."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from conftest import UPGRADE, recv
from upload_support import PNG, form


@pytest.fixture
def config(config):
    """Floods of test traffic must not meet the rate limit."""
    return config.replace(rate_limit=0)


async def send_all(ws, texts, pause: float = 0.0) -> None:
    """Send a message per text, optionally pausing between them."""
    for text in texts:
        await ws.send_json({"message": text})
        if pause:
            await asyncio.sleep(pause)


async def frames_until(ws, final_seq: int, timeout: float = 5.0) -> list[dict]:
    """Every frame up to and including the one with seq final_seq."""
    frames: list[dict] = []
    while not frames or frames[-1].get("seq") != final_seq:
        frames.append(await recv(ws, timeout))
    return frames


async def resume(connect, user, room_id: int, after_seq: int, **kw):
    """Open a socket with after_seq; returns it and its first frame."""
    ws = await connect(user, room_id, f"&after_seq={after_seq}", **kw)
    return ws, await recv(ws)


@pytest.fixture
async def story(client, seat_two):
    """A room with sends, a reply, an edit, reactions and a deleted attachment message, as Ravi saw it live."""
    asha, ravi, room, ws_a, ws_r = await seat_two()
    await ws_a.send_json({"message": "first", "mentions": [ravi["id"]]})
    first = await recv(ws_r)
    await ws_r.send_json({"message": "a reply", "parent_message": first["id"]})
    await ws_r.send_json({"action": "react_message", "message_id": first["id"], "reaction": "Heart"})
    await ws_a.send_json({"action": "edit_message", "message_id": first["id"], "new_content": "first!"})
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/",
                             data=form(PNG, "holiday.png", "image/png", content="top secret caption"),
                             headers=asha.auth)
    assert resp.status == 201
    secret = await resp.json()
    live = [first] + [await recv(ws_r) for _ in range(4)]
    await ws_a.send_json({"action": "edit_message", "message_id": secret["id"], "new_content": "top secret edit"})
    await ws_a.send_json({"action": "react_message", "message_id": secret["id"], "reaction": "Like"})
    await ws_a.send_json({"action": "delete_message", "message_id": secret["id"]})
    live += await frames_until(ws_r, 8)
    await ws_a.close()
    await ws_r.close()
    assert [f["seq"] for f in live] == list(range(1, 9))
    return asha, ravi, room, live, secret


def erased(live: list[dict], secret: dict) -> list[dict]:
    """The live frames as a replay must show them: nothing left of the deleted message."""
    out = []
    for frame in live:
        frame = dict(frame)
        if frame.get("id") == secret["id"] and "sender" in frame:
            frame.update(message="", attachment=None, mentions=[], reactions={})
        if frame.get("action") == "edited" and frame["id"] == secret["id"]:
            frame["new_content"] = ""
        out.append(frame)
    return out


async def test_replay_is_every_missed_event_in_its_live_shape(story, connect):
    asha, ravi, room, live, secret = story
    ws, first = await resume(connect, ravi, room["id"], 0)
    assert first == {"action": "resumed", "after_seq": 0, "last_seq": 8, "count": 8}
    replay = [await recv(ws) for _ in range(8)]
    assert replay == erased(live, secret)
    assert next(f for f in replay if f.get("message") == "a reply")["is_self"] is True
    ws_tail, first = await resume(connect, ravi, room["id"], 5)
    assert first == {"action": "resumed", "after_seq": 5, "last_seq": 8, "count": 3}
    assert [await recv(ws_tail) for _ in range(3)] == erased(live, secret)[5:]
    await ws_tail.close()
    ws_a = await connect(asha, room["id"])
    await ws_a.send_json({"message": "now live"})
    for sock in (ws, ws_a):
        assert (await recv(sock))["seq"] == 9
    await ws.close()
    await ws_a.close()


async def test_nothing_of_a_deleted_message_is_replayed(story, connect):
    asha, ravi, room, live, secret = story
    name = secret["attachment"].rsplit("/", 1)[1]
    for user in (asha, ravi):
        ws, _ = await resume(connect, user, room["id"], 0)
        raw = [(await ws.receive(timeout=3)).data for _ in range(8)]
        await ws.close()
        created = next(json.loads(r) for r in raw if json.loads(r).get("id") == secret["id"])
        assert created["message"] == "" and created["attachment"] is None and created["mentions"] == []
        assert created["message_type"] == "image" and created["is_self"] is (user is asha)
        for text in ("top secret", name, name.rsplit(".", 1)[0]):
            assert not any(text in r for r in raw), text


async def test_after_seq_ahead_of_the_room_is_a_reset_then_live(story, connect):
    asha, ravi, room, _, _ = story
    ws, first = await resume(connect, ravi, room["id"], 9)
    assert first == {"action": "reset", "last_seq": 8}
    ws_now, first = await resume(connect, ravi, room["id"], 8)
    assert first == {"action": "resumed", "after_seq": 8, "last_seq": 8, "count": 0}
    ws_a = await connect(asha, room["id"])
    await ws_a.send_json({"message": "after the reset"})
    for sock in (ws, ws_now):
        frame = await recv(sock)
        assert frame["seq"] == 9 and frame["message"] == "after the reset"
        await sock.close()
    await ws_a.close()


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", "", "%C2%B2", "%D9%A1", "0x10", "1" * 19, "1e3", "+1"])
async def test_invalid_after_seq_is_400_before_the_upgrade(client, register, make_room, connect, raw):
    asha = await register("Asha")
    room = await make_room(asha)
    url = f"/ws/chat/{room['id']}/?token={asha.token}&after_seq={raw}"
    resp = await client.get(url, headers=UPGRADE)
    assert resp.status == 400 and "Upgrade" not in resp.headers
    assert await resp.json() == {"after_seq": ["Must be a non-negative integer."]}
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await connect(asha, room["id"], f"&after_seq={raw}")
    assert err.value.status == 400


async def test_resumes_under_concurrent_sends_miss_nothing_and_repeat_nothing(register, make_room, connect):
    people = [await register(name) for name in ("Asha", "Ravi", "Mina", "Omar")]
    asha, ravi, mina, omar = people
    room = await make_room(*people)
    witness = await connect(omar, room["id"])
    loader = await connect(asha, room["id"])
    preload, per_sender = 1200, 150
    await send_all(loader, [f"old {i}" for i in range(preload)])
    await frames_until(loader, preload, timeout=10)
    final = preload + 3 * per_sender
    senders = [await connect(p, room["id"]) for p in (asha, ravi, mina)]

    async def resumer(after_seq: int, delay: float) -> tuple[int, dict, list[dict]]:
        await asyncio.sleep(delay)
        ws, first = await resume(connect, omar, room["id"], after_seq)
        try:
            return after_seq, first, await frames_until(ws, final, timeout=10)
        finally:
            await ws.close()

    async with asyncio.timeout(90):
        sending = [asyncio.create_task(send_all(ws, [f"{i}:{n}" for n in range(per_sender)], pause=0.004))
                   for i, ws in enumerate(senders)]
        resumers = [asyncio.create_task(resumer(n, delay))
                    for n, delay in ((0, 0.0), (0, 0.15), (600, 0.05), (1100, 0.3), (preload, 0.1), (1199, 0.45))]
        seen = {f["seq"]: f for f in await frames_until(witness, final, timeout=10)}
        await asyncio.gather(*sending)
        results = await asyncio.gather(*resumers)
    assert sorted(seen) == list(range(1, final + 1))
    overlapped = 0
    for after_seq, first, frames in results:
        assert first["action"] == "resumed" and first["after_seq"] == after_seq
        assert first["count"] == first["last_seq"] - after_seq
        assert [f["seq"] for f in frames] == list(range(after_seq + 1, final + 1)), after_seq
        assert all(f == seen[f["seq"]] for f in frames)
        overlapped += preload < first["last_seq"] < final
    assert overlapped >= 3, "most resumes must start while the senders are still sending"
    for ws in (witness, loader, *senders):
        await ws.close()


async def test_events_endpoint_pages_reproduce_the_replay(story, client, connect):
    asha, ravi, room, live, secret = story
    url = f"/api/chat/groups/{room['id']}/events/"
    for user in (asha, ravi):
        ws, _ = await resume(connect, user, room["id"], 0)
        replay = [await recv(ws) for _ in range(8)]
        await ws.close()
        pages, cursor = [], 0
        while True:
            resp = await client.get(url, params={"after_seq": cursor, "limit": 3}, headers=user.auth)
            assert resp.status == 200
            page = await resp.json()
            assert set(page) == {"events", "last_seq", "has_more"} and page["last_seq"] == 8
            pages.append(page)
            if not page["has_more"]:
                break
            cursor = page["events"][-1]["seq"]
        assert [len(p["events"]) for p in pages] == [3, 3, 2]
        assert [e for p in pages for e in p["events"]] == replay
        whole = await (await client.get(url, headers=user.auth)).json()
        assert whole == {"events": replay, "last_seq": 8, "has_more": False}
    assert replay == erased(live, secret)
    tail = await (await client.get(url, params={"after_seq": 8}, headers=ravi.auth)).json()
    assert tail == {"events": [], "last_seq": 8, "has_more": False}


async def test_events_endpoint_is_for_members_only_and_checks_its_numbers(story, client, register):
    asha, _, room, _, _ = story
    url = f"/api/chat/groups/{room['id']}/events/"
    stranger = await register("Stranger")
    assert (await client.get(url, headers=stranger.auth)).status == 403
    assert (await client.get(url)).status == 401
    assert (await client.get(f"/api/chat/groups/{room['id'] + 99}/events/", headers=asha.auth)).status == 404
    for params in ({"after_seq": "-1"}, {"after_seq": "²"}, {"limit": "0"}, {"limit": "x"}, {"limit": "٣"}):
        resp = await client.get(url, params=params, headers=asha.auth)
        assert resp.status == 400, params
        assert list(await resp.json()) == list(params)


async def test_events_pages_are_consistent_while_members_send(register, make_room, connect, client):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    senders = [await connect(u, room["id"]) for u in (asha, ravi)]
    url = f"/api/chat/groups/{room['id']}/events/"
    total = 400
    sending = [asyncio.create_task(send_all(ws, [f"{n}" for n in range(total // 2)], pause=0.001))
               for ws in senders]
    seen: list[int] = []
    cursor = 0
    async with asyncio.timeout(60):
        while cursor < total:
            page = await (await client.get(url, params={"after_seq": cursor, "limit": 7}, headers=ravi.auth)).json()
            seqs = [e["seq"] for e in page["events"]]
            assert all(s <= page["last_seq"] for s in seqs), (seqs, page["last_seq"])
            assert page["has_more"] == bool(seqs and seqs[-1] < page["last_seq"])
            seen += seqs
            cursor = page["last_seq"] if not page["has_more"] else seqs[-1]
        await asyncio.gather(*sending)
    assert seen == list(range(1, total + 1))
    for ws in senders:
        await ws.close()
