"""Open sockets follow account changes: profile edits at once, revocations made by another process
within CHAT_TOKEN_RECHECK."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

import aiohttp

from chatserver.keys import SESSIONS
from conftest import recv, recv_until

ROOT = Path(__file__).resolve().parent.parent
RECHECK = 0.2


async def checked_client(make_client, config, tmp_path):
    return await make_client(config.replace(token_recheck=RECHECK, db=str(tmp_path / "recheck.db")))


async def admin(db: str, *args: str) -> str:
    """Run an admin command as a person would: `python run.py <command> --db <file> ...`, another process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", *args, "--db", db, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_a_token_revoked_by_the_admin_command_closes_its_sockets_only(
        make_client, config, tmp_path, seat_two):
    cl = await checked_client(make_client, config, tmp_path)
    asha, ravi, room, ws_laptop, ws_ravi = await seat_two(cl)
    login = await cl.post("/api/user/login/", json={"email": asha["email"], "password": "correct horse"})
    phone = {"Authorization": f"Token {(await login.json())['token']}"}
    ws_phone = await cl.ws_connect(f"/ws/chat/{room['id']}/", headers=phone)
    with closing(sqlite3.connect(str(tmp_path / "recheck.db"))) as conn, conn:
        (laptop_token,), = conn.execute("SELECT min(id) FROM tokens WHERE user_id = ?", (asha["id"],))

    out = await admin(str(tmp_path / "recheck.db"), "revoke", "--email", asha["email"], "--token", str(laptop_token))
    assert f"revoked 1 token(s) of {asha['email']}: {laptop_token}" in out
    revoked_at = time.monotonic()
    msg = await ws_laptop.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE and (msg.data, msg.extra) == (4001, "token revoked")
    assert time.monotonic() - revoked_at < 5

    await ws_phone.send_json({"message": "still here", "client_id": "p1"})
    assert (await recv(ws_phone))["message"] == "still here"
    assert (await recv_until(ws_ravi, lambda f: "message" in f))["message"] == "still here"
    assert not ws_phone.closed and not ws_ravi.closed
    assert (await cl.get("/api/user/me/", headers=asha.auth)).status == 401
    await ws_phone.close()
    await ws_ravi.close()


async def test_a_profile_edit_reaches_open_sockets_at_once(client, seat_two):
    asha, ravi, room, ws_a, ws_r = await seat_two()
    await ws_a.send_json({"message": "before"})
    assert (await recv(ws_r))["sender"]["name"] == "Asha"

    resp = await client.patch("/api/user/me/", json={"first_name": "Asha-Maria"}, headers=asha.auth)
    assert resp.status == 200 and (await resp.json())["first_name"] == "Asha-Maria"
    await ws_a.send_json({"message": "after"})  # no recheck runs within this test (30 s): the edit itself
    after = await recv_until(ws_r, lambda f: f.get("message") == "after")
    assert after["sender"] == {"name": "Asha-Maria", "photo": None, "id": asha["id"], "role": "member"}
    assert (await recv_until(ws_a, lambda f: f.get("message") == "after"))["sender"]["name"] == "Asha-Maria"
    await ws_a.send_json({"action": "typing"})
    typing = await recv_until(ws_r, lambda f: f.get("action") == "typing")
    assert typing["sender"]["name"] == "Asha-Maria"
    await ws_a.close()
    await ws_r.close()


async def test_a_profile_changed_by_another_process_reaches_open_sockets_at_the_next_check(
        make_client, config, tmp_path, checkpoint, seat_two):
    cl = await checked_client(make_client, config, tmp_path)
    asha, ravi, room, ws_a, ws_r = await seat_two(cl)
    with closing(sqlite3.connect(str(tmp_path / "recheck.db"))) as conn, conn:
        conn.execute("UPDATE users SET first_name = 'Asha-Maria', role = 'admin' WHERE id = ?", (asha["id"],))
    next_check = checkpoint(cl.app[SESSIONS], "recheck_tokens").arm()  # one that starts after the change
    await asyncio.wait_for(next_check, RECHECK * 25)
    await ws_a.send_json({"message": "renamed elsewhere"})
    frame = await recv_until(ws_r, lambda f: f.get("message") == "renamed elsewhere")
    assert (frame["sender"]["name"], frame["sender"]["role"]) == ("Asha-Maria", "admin")
    await ws_a.close()
    await ws_r.close()


async def test_a_member_added_by_the_admin_command_reaches_the_stream_at_the_next_check(
        make_client, config, tmp_path, register, make_room, connect):
    cl = await checked_client(make_client, config, tmp_path)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, name="committee", cl=cl)
    stream = await cl.ws_connect(f"/ws/user/?token={ravi.token}")
    out = await admin(str(tmp_path / "recheck.db"), "addmember", "--room", "committee", "--email", ravi["email"])
    assert ravi["email"] in out
    assert await recv(stream, timeout=5) == {"action": "rooms_changed"}
    ws_a = await connect(asha, room["id"], cl=cl)
    await ws_a.send_json({"message": "welcome to the committee"})
    activity = await recv(stream)
    assert (activity["action"], activity["room_id"]) == ("room_activity", room["id"])
    await stream.close()
    await ws_a.close()


async def test_token_recheck_zero_turns_the_check_off(make_client, config, tmp_path, seat_two):
    cl = await make_client(config.replace(token_recheck=0, db=str(tmp_path / "off.db")))
    asha, _, _, ws_a, ws_r = await seat_two(cl)
    with closing(sqlite3.connect(str(tmp_path / "off.db"))) as conn, conn:
        conn.execute("DELETE FROM tokens WHERE user_id = ?", (asha["id"],))  # as the admin command does
    await asyncio.sleep(RECHECK * 5)  # a check at any pace would have closed it by now
    await ws_a.send_json({"message": "unchecked"})
    assert (await recv_until(ws_r, lambda f: f.get("message") == "unchecked"))["sender"]["id"] == asha["id"]
    assert not ws_a.closed
    await ws_a.close()
    await ws_r.close()
