"""Site suspension: a site admin (REST) or the command line suspends an account; it holds no token until lifted."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from chatserver import security
from chatserver.cli import main
from chatserver.keys import STORE
from contract_support import DOC, check
from upload_support import PNG, form


async def _login(client, user, password: str = "correct horse") -> aiohttp.ClientResponse:
    return await client.post("/api/user/login/", json={"email": user["email"], "password": password})


async def _closed(ws) -> int:
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE, msg
    return msg.data


async def test_an_admin_suspends_a_user_whose_tokens_and_sockets_go_and_whose_login_is_refused(
        client, register, make_admin, make_room, db_rows):
    root, asha, ravi = await make_admin(), await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await client.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    stream = await client.ws_connect(f"/ws/user/?token={ravi.token}")
    resp = await client.post(f"/api/admin/users/{ravi['id']}/suspend/", json={"reason": "spam"}, headers=root.auth)
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    check(DOC["paths"]["/api/admin/users/{user_id}/suspend/"]["post"]["responses"]["200"]["content"]["application/json"]
          ["schema"], answer)
    assert answer["user"]["id"] == ravi["id"] and answer["user"]["suspended_at"]
    assert await _closed(ws) == 4001 and await _closed(stream) == 4001
    assert (await client.get("/api/user/me/", headers=ravi.auth)).status == 401
    refused = await _login(client, ravi)
    assert refused.status == 403 and (await refused.json())["code"] == "suspended"
    wrong = await _login(client, ravi, "not the password")  # nobody learns of the suspension without the password
    assert wrong.status == 401 and (await wrong.json())["code"] == "unauthorized"
    assert db_rows("SELECT count(*) FROM tokens WHERE user_id = ?", (ravi["id"],)) == [(0,)]
    assert db_rows("SELECT actor_id, action, target_id, reason FROM audit") == [
        (root["id"], "user_suspended", ravi["id"], "spam")]
    assert (await client.get("/api/user/me/", headers=asha.auth)).status == 200

    again = await client.post(f"/api/admin/users/{ravi['id']}/suspend/", headers=root.auth)
    assert again.status == 200 and (await again.json())["user"]["suspended_at"] == answer["user"]["suspended_at"]
    lifted = await client.post(f"/api/admin/users/{ravi['id']}/unsuspend/", headers=root.auth)
    assert lifted.status == 200 and (await lifted.json())["user"]["suspended_at"] is None
    assert (await _login(client, ravi)).status == 200
    assert [row[0] for row in db_rows("SELECT action FROM audit ORDER BY id")] == ["user_suspended", "user_unsuspended"]


async def test_only_a_site_admin_suspends_and_never_themselves(client, register, make_admin, db_rows):
    root, asha, ravi = await make_admin(), await register("Asha"), await register("Ravi")
    for who, target, status in ((asha, ravi, 403), (root, root, 403), (root, {"id": 999999}, 404)):
        for verb in ("suspend", "unsuspend"):
            resp = await client.post(f"/api/admin/users/{target['id']}/{verb}/", headers=who.auth)
            assert resp.status == status, (who["first_name"], verb, await resp.text())
    assert (await client.post(f"/api/admin/users/{ravi['id']}/suspend/")).status == 401
    bad = await client.post(f"/api/admin/users/{ravi['id']}/suspend/", json={"reason": 5}, headers=root.auth)
    assert bad.status == 400 and "reason" in await bad.json()
    assert db_rows("SELECT count(*) FROM users WHERE suspended_at IS NOT NULL") == [(0,)]
    assert db_rows("SELECT count(*) FROM audit") == [(0,)]
    assert (await client.get("/api/user/me/", headers=ravi.auth)).status == 200


async def test_a_token_written_after_the_suspension_is_not_valid(client, register, make_admin):
    """A login that checked the account before the suspension and wrote its token after it gets nothing."""
    root, ravi = await make_admin(), await register("Ravi")
    assert (await client.post(f"/api/admin/users/{ravi['id']}/suspend/", headers=root.auth)).status == 200
    late = security.new_token()
    await client.app[STORE].add_token(ravi["id"], security.token_digest(late), late[:6])
    assert (await client.get("/api/user/me/", headers={"Authorization": f"Token {late}"})).status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"/ws/user/?token={late}")
    assert refused.value.status == 401


def _rows(path: str, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _cli(*args: str) -> int:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        return await asyncio.to_thread(main, list(args))
    finally:
        root.handlers[:], root.level = saved


async def test_the_command_line_suspends_by_e_mail_or_id_while_the_server_runs(
        make_client, config, tmp_path, register, make_room, capsys):
    config = config.replace(token_recheck=0.1, db=str(tmp_path / "running.db"))
    cl = await make_client(config)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    code = await _cli("suspend", "--db", config.db, ravi["email"].upper(), "--reason", "spam")
    assert code == 0 and "suspended since" in capsys.readouterr().out
    assert await _closed(ws) == 4001  # at the server's next token recheck
    assert (await _login(cl, ravi)).status == 403
    assert _rows(config.db, "SELECT actor_id, action, target_id, reason FROM audit") == [
        (None, "user_suspended", ravi["id"], "spam")]
    code = await _cli("unsuspend", "--db", config.db, str(ravi["id"]))
    assert code == 0 and "not suspended" in capsys.readouterr().out
    assert (await _login(cl, ravi)).status == 200
    code = await _cli("suspend", "--db", config.db, "nobody@example.org")
    assert code == 2 and "no user nobody@example.org" in capsys.readouterr().err
    assert (await cl.get("/api/user/me/", headers=asha.auth)).status == 200


async def test_a_suspension_can_delete_every_message_of_the_user_as_deletions(
        client, register, make_admin, make_room, db_rows, config):
    root, asha, ravi = await make_admin(), await register("Asha"), await register("Ravi")
    kept, left = await make_room(asha, ravi), await make_room(asha, ravi)
    watcher = await client.ws_connect(f"/ws/chat/{kept['id']}/?token={asha.token}")
    for room, text in ((kept, "spam 1"), (kept, "spam 2"), (left, "spam 3")):
        ws = await client.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
        await ws.send_json({"message": text})
        await ws.receive_json(timeout=3)
        await ws.close()
    upload = await client.post(f"/api/chat/groups/{kept['id']}/messages/upload/", headers=ravi.auth,
                               data=form(PNG, "dot.png", "image/png"))
    assert upload.status == 201
    await watcher.send_json({"message": "mine stays"})
    frames = [await watcher.receive_json(timeout=3) for _ in range(4)]
    assert (await client.post(f"/api/chat/group/{left['id']}/remove-yourself/", headers=ravi.auth)).status == 200

    resp = await client.post(f"/api/admin/users/{ravi['id']}/suspend/", json={"delete_messages": True},
                             headers=root.auth)
    assert resp.status == 200 and (await resp.json())["deleted_messages"] == 4
    deleted = sorted([(await watcher.receive_json(timeout=3)) for _ in range(3)], key=lambda f: f["id"])
    assert [(f["action"], f["message"]) for f in deleted] == [("deleted", "")] * 3
    assert [f["id"] for f in deleted] == [f["id"] for f in frames[:3]]
    assert db_rows("SELECT content, is_deleted FROM messages WHERE sender_id = ?", (ravi["id"],)) == [("", 1)] * 4
    assert db_rows("SELECT is_deleted FROM messages WHERE sender_id = ?", (asha["id"],)) == [(0,)]
    assert not any(Path(config.media_dir).glob("*"))
    await watcher.close()


async def test_the_command_line_deletes_the_messages_only_with_the_server_stopped(
        make_client, config, tmp_path, register, make_room, capsys):
    config = config.replace(db=str(tmp_path / "stopped.db"))
    cl = await make_client(config)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    ws = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}")
    for text in ("one", "two"):
        await ws.send_json({"message": text})
        await ws.receive_json(timeout=3)
    await ws.close()
    assert await _cli("suspend", "--db", config.db, ravi["email"], "--delete-messages") == 2
    assert "the server is running" in capsys.readouterr().err
    assert _rows(config.db, "SELECT count(*) FROM users WHERE suspended_at IS NOT NULL") == [(0,)]  # nothing changed
    await cl.close()

    assert await _cli("suspend", "--db", config.db, ravi["email"], "--delete-messages") == 0
    assert "2 message(s) deleted" in capsys.readouterr().out
    assert _rows(config.db, "SELECT seq, kind FROM events ORDER BY seq") == [
        (1, "created"), (2, "created"), (3, "deleted"), (4, "deleted")]
    again = await make_client(config)
    history = await (await again.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert [(m["content"], m["is_deleted"]) for m in history] == [("", True), ("", True)]
