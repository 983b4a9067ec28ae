"""Attachment URLs and files: no forged Host reaches a member, nothing of a deleted room stays on disk."""

from __future__ import annotations

import os
import secrets

import orjson
from conftest import recv, recv_until
from upload_support import PNG, end, form, own, part, raw_post

EVIL = "chat.example.org@evil.example"


def upload_body(caption: bytes = b"look") -> bytes:
    return part("attachment", PNG, "dot.png", "image/png") + part("content", caption) + end()


async def test_a_forged_host_never_reaches_members_or_the_log(client, member, connect, db_rows):
    asha, ravi, room, ws = member
    ours = f"http://{client.host}:{client.port}/media/"
    status, answer = await raw_post(client, f"/api/chat/groups/{room['id']}/messages/upload/", asha, upload_body(),
                                    host=EVIL)
    assert status == 201, answer
    msg = orjson.loads(answer)
    assert msg["attachment"].startswith(ours)
    live = await recv(ws)
    assert live["attachment"] == msg["attachment"]
    name = msg["attachment"].rsplit("/", 1)[1]
    logged = db_rows("SELECT frame FROM events WHERE room_id = ?", (room["id"],))
    assert orjson.loads(logged[0][0])["attachment"] == name  # the log keeps the name, never a URL
    history = await client.get(f"/api/chat/groups/{room['id']}/messages/", headers={**ravi.auth, "Host": EVIL})
    assert (await history.json())[0]["attachment"] == ours + name
    events = await client.get(f"/api/chat/groups/{room['id']}/events/", headers={**ravi.auth, "Host": EVIL})
    assert (await events.json())["events"][0]["attachment"] == ours + name
    resumed = await connect(ravi, room["id"], "&after_seq=0", headers={"Host": EVIL})
    await recv_until(resumed, lambda f: f.get("action") == "resumed")
    replayed = await recv(resumed)
    assert replayed["attachment"] == ours + name and replayed["is_self"] is False
    await resumed.close()


async def test_an_allowed_host_names_the_urls_and_each_replay_gets_its_own(make_client, config, tmp_path, register,
                                                                           make_room, connect):
    config = own(config, tmp_path, allowed_hosts=("chat.example.org", "10.0.2.2:8080"))
    site = await make_client(config)
    asha = await register("Asha", cl=site)
    room = await make_room(asha, cl=site)
    sent = await site.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form(PNG, "dot.png", "image/png"),
                           headers={**asha.auth, "Host": "chat.example.org"})
    url = (await sent.json())["attachment"]
    assert url.startswith("http://chat.example.org/media/")
    events = await site.get(f"/api/chat/groups/{room['id']}/events/", headers={**asha.auth, "Host": "10.0.2.2:8080"})
    assert (await events.json())["events"][0]["attachment"] == "http://10.0.2.2:8080/media/" + url.rsplit("/", 1)[1]


async def test_the_public_url_names_every_attachment(make_client, config, tmp_path, register, make_room):
    site = await make_client(own(config, tmp_path, public_url="https://chat.example.org"))
    asha = await register("Asha", cl=site)
    room = await make_room(asha, cl=site)
    status, answer = await raw_post(site, f"/api/chat/groups/{room['id']}/messages/upload/", asha, upload_body(),
                                    host=EVIL)
    assert status == 201 and orjson.loads(answer)["attachment"].startswith("https://chat.example.org/media/")


async def test_a_deleted_rooms_files_are_removed_and_no_longer_served(client, member, config):
    asha, ravi, room, ws = member
    sent = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/",
                             data=form(PNG, "dot.png", "image/png"), headers=asha.auth)
    path = "/media/" + (await sent.json())["attachment"].rsplit("/", 1)[1]
    assert (await client.get(path)).status == 200
    assert (await client.delete(f"/api/chat/delete-group/{room['id']}/", headers=asha.auth)).status in (200, 204)
    assert os.listdir(config.media_dir) == []
    assert (await client.get(path)).status == 404


async def test_a_deleted_messages_file_is_removed(client, member, connect, config):
    asha, ravi, room, ws = member
    sent = await (await client.post(f"/api/chat/groups/{room['id']}/messages/upload/",
                                    data=form(b"notes", "notes.txt", "text/plain"), headers=asha.auth)).json()
    mine = await connect(asha, room["id"])
    await mine.send_json({"action": "delete_message", "message_id": sent["id"]})
    await recv_until(mine, lambda f: f.get("action") == "deleted")
    await mine.close()
    assert os.listdir(config.media_dir) == []


async def test_partial_uploads_are_removed_at_start_up_and_nothing_else(make_client, config, tmp_path, register,
                                                                         make_room, caplog):
    config = own(config, tmp_path)
    site = await make_client(config)
    asha = await register("Asha", cl=site)
    room = await make_room(asha, cl=site)
    sent = await site.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form(PNG, "dot.png", "image/png"),
                           headers=asha.auth)
    kept = (await sent.json())["attachment"].rsplit("/", 1)[1]
    await site.close()
    partial, unknown = f".{secrets.token_urlsafe(16)}.part", f"{secrets.token_urlsafe(16)}.png"
    for name in (partial, unknown, "notes-of-the-admin.txt"):
        (tmp_path / "own" / name).write_bytes(b"left by a crash")
    await make_client(config)
    assert sorted(os.listdir(config.media_dir)) == sorted([kept, unknown, "notes-of-the-admin.txt"])
    assert "1 files in" in caplog.text  # a file no message names is told, not removed
