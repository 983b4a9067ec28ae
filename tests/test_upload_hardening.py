"""Hostile uploads against a live server: captions in pieces, floods of parts, rate, quota, a full disk."""

from __future__ import annotations

import os
import shutil

import orjson
import pytest

from chatserver import media
from conftest import recv_until
from upload_support import PNG, end, form, own, part, raw_post


@pytest.fixture
async def room_of(register, make_room):
    asha = await register("Asha")
    room = await make_room(asha)
    return asha, room, f"/api/chat/groups/{room['id']}/messages/upload/"


async def test_a_caption_arriving_in_many_segments_is_stored_whole(client, room_of):
    asha, room, url = room_of
    caption = "".join(chr(ord("a") + i % 26) for i in range(2000))
    body = part("attachment", PNG, "dot.png", "image/png") + part("content", caption.encode()) + end()
    status, answer = await raw_post(client, url, asha, body, pieces=40)
    assert status == 201, answer
    assert orjson.loads(answer)["content"] == caption
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert history[0]["content"] == caption


async def test_a_caption_over_the_limit_is_refused_not_cut(client, room_of, config):
    asha, room, url = room_of
    body = part("attachment", PNG, "dot.png", "image/png") + part("content", b"x" * (config.max_message_length * 5)) + end()
    status, answer = await raw_post(client, url, asha, body, pieces=20)
    assert status == 400 and "content" in orjson.loads(answer)
    assert await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json() == []


@pytest.mark.parametrize("flood", [
    b"".join(part("content", b"x") for _ in range(5000)),                    # the same field again and again
    part("sub", f"--inner\r\n\r\nx\r\n--inner--\r\n".encode(), content_type="multipart/mixed; boundary=inner"),
    part("n" * 5000, b"x"),                                                  # a name the answer must not echo
], ids=["repeated", "nested", "long-name"])
async def test_a_flood_of_parts_is_refused_at_once_with_a_small_answer(client, room_of, config, flood):
    asha, room, url = room_of
    body = part("attachment", PNG, "dot.png", "image/png") + flood + end()
    status, answer = await raw_post(client, url, asha, body)
    assert status == 400 and len(answer) < 300, answer[:300]
    assert await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json() == []
    assert [n for n in os.listdir(config.media_dir)] == []


async def test_a_preamble_of_many_lines_is_refused_at_once(client, room_of):
    asha, room, url = room_of
    body = b"\r\n" * 50_000 + part("attachment", PNG, "dot.png", "image/png") + end()
    status, answer = await raw_post(client, url, asha, body)
    assert status == 400 and len(answer) < 300, answer[:300]
    assert await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json() == []


async def test_a_preamble_of_a_few_lines_is_skipped(client, room_of):
    asha, room, url = room_of
    body = b"a preamble\r\n\r\n\r\n" + part("attachment", PNG, "dot.png", "image/png") + end()
    status, answer = await raw_post(client, url, asha, body)
    assert status == 201, answer[:300]


async def test_uploads_past_the_per_user_rate_are_refused(make_client, config, tmp_path, register, make_room):
    config = own(config, tmp_path, upload_rate=1.0, upload_burst=3)
    small = await make_client(config)
    asha = await register("Asha", cl=small)
    room = await make_room(asha, cl=small)
    url = f"/api/chat/groups/{room['id']}/messages/upload/"
    answers = [await small.post(url, data=form(b"x", "a.txt", "text/plain"), headers=asha.auth) for _ in range(5)]
    assert [a.status for a in answers] == [201, 201, 201, 429, 429]
    assert answers[3].headers["Retry-After"] == "60"
    assert len(os.listdir(config.media_dir)) == 3


async def test_the_storage_quota_counts_what_a_user_keeps(make_client, config, tmp_path, register, make_room,
                                                         connect):
    small = await make_client(own(config, tmp_path, upload_quota_bytes=1000))
    asha, ravi = await register("Asha", cl=small), await register("Ravi", cl=small)
    room = await make_room(asha, ravi, cl=small)
    url = f"/api/chat/groups/{room['id']}/messages/upload/"
    first = await small.post(url, data=form(b"x" * 600, "a.bin", "application/octet-stream"), headers=asha.auth)
    assert first.status == 201
    over = await small.post(url, data=form(b"x" * 600, "b.bin", "application/octet-stream"), headers=asha.auth)
    assert over.status == 413 and (await over.json())["code"] == "quota_exceeded"
    theirs = await small.post(url, data=form(b"x" * 600, "c.bin", "application/octet-stream"), headers=ravi.auth)
    assert theirs.status == 201  # the quota is each user's own
    ws = await connect(asha, room["id"], cl=small)
    await ws.send_json({"action": "delete_message", "message_id": (await first.json())["id"]})
    await recv_until(ws, lambda f: f.get("action") == "deleted")
    again = await small.post(url, data=form(b"x" * 600, "d.bin", "application/octet-stream"), headers=asha.auth)
    assert again.status == 201
    await ws.close()


async def test_below_the_free_space_floor_uploads_and_sends_are_refused(make_client, config, tmp_path, register,
                                                                         make_room, connect):
    floor = shutil.disk_usage(tmp_path).free + 2**40  # more than this disk has free
    config = own(config, tmp_path, min_free_bytes=floor)
    full = await make_client(config)
    assert media.free_bytes(config) < floor
    asha = await register("Asha", cl=full)
    room = await make_room(asha, cl=full)
    url = f"/api/chat/groups/{room['id']}/messages/upload/"
    refused = await full.post(url, data=form(PNG, "dot.png", "image/png"), headers=asha.auth)
    assert refused.status == 507 and (await refused.json())["code"] == "insufficient_storage"
    ws = await connect(asha, room["id"], cl=full)
    await ws.send_json({"message": "hello", "client_id": "c1"})
    error = await recv_until(ws, lambda f: f.get("action") == "error")
    assert error["code"] == "insufficient_storage" and error["client_id"] == "c1"
    await ws.close()
    assert await (await full.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json() == []
    assert os.listdir(config.media_dir) == []
