"""Attachments over HTTPS: stored under our names, broadcast like messages, served safely."""

from __future__ import annotations

from conftest import recv
from upload_support import PNG, form


async def test_image_upload_is_stored_broadcast_and_served_inline(client, member, config):
    asha, ravi, room, ws = member
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/",
                             data=form(PNG, "../../etc/passwd.png", "image/png", content="look"),
                             headers=asha.auth)
    assert resp.status == 201, await resp.text()
    msg = await resp.json()
    assert msg["message_type"] == "image" and msg["content"] == "look" and msg["room"] == room["id"]
    url = msg["attachment"]
    assert url.startswith(f"http://{client.host}:{client.port}/media/") and "passwd" not in url
    frame = await recv(ws)
    assert frame["id"] == msg["id"] and frame["attachment"] == url and frame["message_type"] == "image"
    served = await client.get(url.split(str(client.port), 1)[1])
    assert served.status == 200 and await served.read() == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


async def test_other_files_are_downloads_and_fake_images_are_files(client, member):
    asha, _, room, ws = member
    html = b"<script>alert(1)</script>"
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/",
                             data=form(html, "x.html", "image/png"), headers=asha.auth)
    msg = await resp.json()
    assert resp.status == 201 and msg["message_type"] == "file" and msg["content"] == ""
    served = await client.get("/media/" + msg["attachment"].rsplit("/", 1)[1])
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


async def test_upload_limits_and_rules(client, make_client, config, tmp_path, register, make_room):
    config = config.replace(max_upload_bytes=1000, db=str(tmp_path / "small.db"), media_dir=str(tmp_path / "small"))
    small = await make_client(config)
    asha = await register("Asha", cl=small)
    stranger = await register("Stranger", cl=small)
    room = await make_room(asha, cl=small)
    url = f"/api/chat/groups/{room['id']}/messages/upload/"
    too_big = await small.post(url, data=form(b"x" * 2000, "a.bin", "application/octet-stream"), headers=asha.auth)
    assert too_big.status == 413 and "detail" in await too_big.json()
    assert (await small.post(url, data=form(b"x", "a.bin", "text/plain"), headers=stranger.auth)).status == 403
    missing = await small.post(url, data={"content": "no file"}, headers=asha.auth)
    assert missing.status == 400 and "attachment" in await missing.json()
    bad_parent = await small.post(url, data=form(b"x", "a.txt", "text/plain", parent_message="999"),
                                  headers=asha.auth)
    assert bad_parent.status == 404
    history = await (await small.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert history == []
    import os
    assert [n for n in os.listdir(config.media_dir) if not n.startswith(".")] == []


async def test_a_caption_is_held_to_the_rules_of_a_sent_message(client, member, config):
    asha, ravi, room, ws = member
    url = f"/api/chat/groups/{room['id']}/messages/upload/"
    for bad in ("null \x00 inside", " " + "x" * (config.max_message_length + 1) + " "):
        await ws.send_json({"message": bad})
        said = (await recv(ws))["fields"]["message"]
        answer = await client.post(url, data=form(PNG, "a.png", "image/png", content=bad), headers=ravi.auth)
        assert answer.status == 400 and (await answer.json())["content"] == said
    answer = await client.post(url, data=form(PNG, "a.png", "image/png", content=" " + "x" * config.max_message_length + " "),
                               headers=ravi.auth)
    assert answer.status == 201 and len((await answer.json())["content"]) == config.max_message_length


async def test_unknown_media_names_are_404(client):
    for name in ("nope.png", "..%2Fchat.db", "aaaaaaaaaaaaaaaaaaaaaa.png"):
        assert (await client.get(f"/media/{name}")).status == 404


async def test_the_web_client_is_served_with_a_content_security_policy(client):
    for path in ("/", "/static/app.js"):
        resp = await client.get(path)
        assert resp.status == 200
        policy = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
