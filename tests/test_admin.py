"""Admin commands, run as a person runs them, checked by what they did to the database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver import security
from chatserver.cli import main
from chatserver.fields import MAX_ID, parse_id
from chatserver.storage import members, messages, rooms, users
from chatserver.storage.db import Database
from chatserver.storage.migrations import SCHEMA_VERSION

from admin_support import createuser

ROOT = Path(__file__).resolve().parent.parent
BAD_IDS = ("²", "-1", "0", "abc", "9" * 30)
COMMANDS = ("createuser", "setpassword", "tokens", "revoke", "createroom", "addmember", "backup", "check",
            "audit-export")


def test_every_command_has_help(capsys):
    for command in COMMANDS:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        assert f"usage: run.py {command}" in capsys.readouterr().out


def test_both_entry_points_list_the_commands():
    for argv in (["run.py", "--help"], ["-m", "chatserver", "--help"]):
        out = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        for command in COMMANDS:
            assert command in out.stdout


async def test_createuser_makes_an_admin_with_a_working_token(cli, db):
    code, out, _ = await cli("createuser", "--email", "Boss@Example.org", "--password", "correct horse",
                             "--first-name", "Boss", "--last-name", "Lady", "--admin")
    assert code == 0
    token = out.split("token=")[1].split()[0]
    holder = await users.user_by_token(db, security.token_digest(token))
    assert (holder["email"], holder["role"], holder["last_name"]) == ("boss@example.org", "admin", "Lady")
    code, _, err = await cli("createuser", "--email", "boss@example.org", "--password", "another one",
                             "--first-name", "Again")
    assert code == 2 and "already exists" in err
    code, _, err = await cli("createuser", "--email", "x@example.org", "--password", "short", "--first-name", "X")
    assert code == 2 and "password" in err
    assert [u["email"] for u in await users.list_users(db)] == ["boss@example.org"]


async def test_setpassword_replaces_the_hash_and_can_log_out_everywhere(cli, db):
    await createuser(cli, "asha@example.org")
    code, _, _ = await cli("setpassword", "--email", "asha@example.org", "--password", "new secret 1")
    assert code == 0
    stored = (await users.get_login(db, "asha@example.org"))["password_hash"]
    assert security.verify_password_sync("new secret 1", stored)
    assert not security.verify_password_sync("correct horse", stored)
    user_id = (await users.get_login(db, "asha@example.org"))["id"]
    assert len(await users.list_tokens(db, user_id)) == 1

    code, _, err = await cli("setpassword", "--email", "asha@example.org", "--password", "short")
    assert code == 2 and "password" in err
    code, _, err = await cli("setpassword", "--email", "nobody@example.org", "--password", "long enough")
    assert code == 2 and "no user" in err
    code, out, _ = await cli("setpassword", "--email", "asha@example.org", "--password", "newer secret",
                             "--revoke-tokens")
    assert code == 0 and "revoked 1 token" in out
    assert await users.list_tokens(db, user_id) == []
    stored = (await users.get_login(db, "asha@example.org"))["password_hash"]
    assert security.verify_password_sync("newer secret", stored)


async def test_tokens_lists_and_revoke_removes_one_or_all(cli, db):
    user_id = await createuser(cli, "ravi@example.org")
    other_id = await createuser(cli, "meera@example.org")
    for _ in range(2):
        await users.add_token(db, user_id, security.token_digest(security.new_token()), "abcdef")
    listed = await users.list_tokens(db, user_id)
    code, out, _ = await cli("tokens", "--email", "ravi@example.org")
    assert code == 0
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(int(r[0]), r[1], r[2]) for r in rows] == [
        (t["id"], t["prefix"] + "...", t["created_at"]) for t in listed]

    foreign = (await users.list_tokens(db, other_id))[0]["id"]
    code, _, err = await cli("revoke", "--email", "ravi@example.org", "--token", str(foreign))
    assert code == 2 and str(foreign) in err
    assert len(await users.list_tokens(db, other_id)) == 1

    code, _, _ = await cli("revoke", "--email", "ravi@example.org", "--token", str(listed[1]["id"]))
    assert code == 0
    assert [t["id"] for t in await users.list_tokens(db, user_id)] == [listed[0]["id"], listed[2]["id"]]
    code, out, _ = await cli("revoke", "--email", "ravi@example.org", "--all")
    assert code == 0 and "revoked 2 token" in out
    assert await users.list_tokens(db, user_id) == []
    assert len(await users.list_tokens(db, other_id)) == 1


async def test_createroom_and_addmember(cli, db):
    owner = await createuser(cli, "owner@example.org")
    first = await createuser(cli, "first@example.org")
    late = await createuser(cli, "late@example.org")
    code, out, _ = await cli("createroom", "--name", "Chess club", "--owner", "owner@example.org",
                             "--description", "Moves", "--member", "first@example.org")
    assert code == 0
    room_id = int(out.split("id=")[1].split()[0])
    room = await rooms.get_room(db, room_id)
    assert (room["name"], room["description"], room["owner_id"]) == ("Chess club", "Moves", owner)
    assert {m["id"] for m in await members.members(db, room_id)} == {owner, first}

    code, _, err = await cli("createroom", "--name", "chess CLUB", "--owner", "owner@example.org")
    assert code == 2 and "exists" in err
    code, _, err = await cli("createroom", "--name", "Go", "--owner", "ghost@example.org")
    assert code == 2 and "no user" in err
    assert len(await rooms.list_rooms(db)) == 1

    code, out, _ = await cli("addmember", "--room", "chess club", "--email", "late@example.org",
                             "--email", "first@example.org")
    assert code == 0 and "already a member" in out
    assert {m["id"] for m in await members.members(db, room_id)} == {owner, first, late}
    code, _, err = await cli("addmember", "--room", "999", "--email", "late@example.org")
    assert code == 2 and "no room" in err


async def test_the_room_commands_refuse_in_the_words_of_the_api(cli, db):
    await createuser(cli, "owner@example.org")
    await createuser(cli, "late@example.org")
    code, out, _ = await cli("createroom", "--name", "Chess club", "--owner", "owner@example.org")
    room_id = int(out.split("id=")[1].split()[0])
    code, out, err = await cli("createroom", "--name", "chess CLUB", "--owner", "owner@example.org")
    assert (code, out) == (2, "")
    assert _one_line(err) == "chatserver: createroom: name: A room with this name already exists."
    for _ in range(2):  # the second time the rule of the API (already_member) is what answers
        code, out, _ = await cli("addmember", "--room", str(room_id), "--email", "late@example.org")
        assert code == 0
    assert "already a member of Chess club" in out
    assert len(await members.members(db, room_id)) == 2


async def test_backup_while_the_server_runs(cli, make_client, config, tmp_path):
    server = await make_client(config.replace(rate_limit=0))
    code, out, _ = await cli("createuser", "--email", "asha@example.org", "--password", "correct horse",
                             "--first-name", "Asha")
    asha_id, token = int(out.split("id=")[1].split()[0]), out.split("token=")[1].split()[0]
    code, out, _ = await cli("createroom", "--name", "general", "--owner", "asha@example.org")
    room_id = int(out.split("id=")[1].split()[0])
    ws = await server.ws_connect(f"/ws/chat/{room_id}/?token={token}")
    before = 200
    for i in range(before):
        await ws.send_json({"message": f"before {i}", "client_id": f"b{i}"})
    for _ in range(before):
        assert (await ws.receive_json(timeout=10))["message"].startswith("before")

    async def keep_sending() -> None:
        for i in range(300):
            await ws.send_json({"message": f"during {i}"})
            await asyncio.sleep(0.002)
    sender = asyncio.create_task(keep_sending())
    target = tmp_path / "copy.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "backup", str(target), "--db", config.db, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    await sender
    await ws.close()
    assert proc.returncode == 0, err.decode()
    assert f"written to {target}" in out.decode()
    total = err.decode().strip().splitlines()[-1].split("/")[-1].split()[0]
    assert f"backup: {total}/{total} pages" in err.decode()

    copy = await Database.open(str(target), exclusive=False)
    try:
        assert (await rooms.get_room(copy, room_id))["name"] == "general"
        assert (await users.get_login(copy, "asha@example.org"))["id"] == asha_id
        kept = await messages.count(copy, room_id)
        assert before <= kept <= before + 300
        newest = await messages.history(copy, room_id, None, 200)
        assert [m["seq"] for m in newest] == list(range(kept, kept - min(kept, 200), -1))
    finally:
        await copy.close()
    code, out, _ = await cli("check", db=str(target))
    assert code == 0 and "integrity: ok" in out

    code, _, err = await cli("backup", str(target))
    assert code == 2 and "--force" in err
    code, _, err = await cli("backup", config.db, "--force")
    assert code == 2 and "cannot replace the database" in err
    code, _, err = await cli("backup", str(tmp_path / "nowhere" / "copy.db"))
    assert code == 2 and "no folder" in err
    code, _, _ = await cli("backup", str(target), "--force")
    assert code == 0


async def test_check_passes_a_sound_database_and_fails_a_bad_one(cli, config, tmp_path):
    await createuser(cli, "asha@example.org")
    code, out, _ = await cli("check")
    assert code == 0
    assert "integrity: ok" in out and f"schema version: {SCHEMA_VERSION} (this server: {SCHEMA_VERSION})" in out

    code, out, _ = await cli("createroom", "--name", "general", "--owner", "asha@example.org")
    room_id = int(out.split("id=")[1].split()[0])
    with sqlite3.connect(config.db) as conn:  # a hole in the room's seq numbering
        conn.execute("INSERT INTO events (room_id, seq, kind, message_id, frame, created_at)"
                     " VALUES (?, 2, 'deleted', 1, '{}', '')", (room_id,))
        conn.execute("UPDATE rooms SET last_seq = 2 WHERE id = ?", (room_id,))
    conn.close()
    code, out, _ = await cli("check")
    assert code == 1 and f"room {room_id}: events numbered 2..2 but 1 of them" in out
    with sqlite3.connect(config.db) as conn:
        conn.execute("DELETE FROM events")
        conn.execute("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, 99, '')", (room_id,))
    conn.close()
    code, out, _ = await cli("check")
    assert code == 1 and f"room {room_id}: last_seq 2 but newest event 0" not in out
    assert "a row of members refers to a missing row of users" in out
    with sqlite3.connect(config.db) as conn:
        conn.execute("DELETE FROM members WHERE user_id = 99")
    conn.close()
    code, out, _ = await cli("check")
    assert code == 1 and f"room {room_id}: last_seq 2 but newest event 0" in out

    with sqlite3.connect(config.db) as conn:
        conn.execute("UPDATE rooms SET last_seq = 0")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    code, out, _ = await cli("check")
    assert code == 1 and "MISMATCH" in out and "integrity: ok" in out

    for command in (["check"], ["tokens", "--email", "asha@example.org"], ["backup", str(tmp_path / "b.db")]):
        code, _, err = await cli(*command, db=str(tmp_path / "missing.db"))
        assert code == 2 and "no database" in err
    assert not (tmp_path / "missing.db").exists()

    broken = tmp_path / "broken.db"
    with sqlite3.connect(broken) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.close()
    data = bytearray(broken.read_bytes())
    page = 4096
    data[2 * page:2 * page + 64] = b"\xff" * 64  # the header of a b-tree page
    broken.write_bytes(bytes(data))
    code, out, err = await cli("check", db=str(broken))
    assert code == 1
    assert "FAILED" in out or "malformed" in err


async def test_backup_copies_a_file_as_it_is_without_migrating_it(cli, tmp_path):
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('kept')")
    conn.close()
    code, _, err = await cli("backup", str(tmp_path / "copy.db"), db=str(old))
    assert code == 0, err
    for path in (old, tmp_path / "copy.db"):
        with sqlite3.connect(path) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
            assert (tables, conn.execute("PRAGMA user_version").fetchone()[0]) == (["notes"], 0)
            assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]
        conn.close()


async def test_setpassword_reads_a_piped_password(cli, db, config):
    await createuser(cli, "piped@example.org")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "setpassword", "--db", config.db, "--email", "piped@example.org",
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CHAT_SCRYPT_N": "1024"})
    out, err = await asyncio.wait_for(proc.communicate(b"from a pipe 1\n"), 60)
    assert proc.returncode == 0, err.decode()
    stored = (await users.get_login(db, "piped@example.org"))["password_hash"]
    assert security.verify_password_sync("from a pipe 1", stored)


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_a_bad_id_is_one_line_and_exit_2(cli, db, capsys, bad):
    await createuser(cli, "asha@example.org")
    code, out, err = await cli("createroom", "--name", "general", "--owner", "asha@example.org")
    assert code == 0
    code, out, err = await cli("addmember", "--room", bad, "--email", "asha@example.org")
    assert (code, out) == (2, "") and f"no room {bad}" in _one_line(err)

    with pytest.raises(SystemExit) as refused:
        await cli("revoke", "--email", "asha@example.org", "--token", bad)
    err = _one_line(capsys.readouterr().err)
    assert refused.value.code == 2 and f"expected a positive integer id, got {bad!r}" in err
    assert len(await users.list_tokens(db, 1)) == 1


def test_a_non_ascii_digit_room_is_looked_up_by_name_in_a_real_process(config, tmp_path):
    created = subprocess.run([sys.executable, "run.py", "createuser", "--db", config.db, "--email", "a@example.org",
                              "--password", "correct horse", "--first-name", "A"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "CHAT_SCRYPT_N": "1024"})
    assert created.returncode == 0, created.stderr
    out = subprocess.run([sys.executable, "run.py", "addmember", "--db", config.db, "--room", "²",
                          "--email", "a@example.org"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and _one_line(out.stderr) == "chatserver: addmember: no room ²"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_a_bad_argument_in_one_line_with_exit_2(capsys, command):
    with pytest.raises(SystemExit) as refused:
        main([command, "--no-such-flag"])
    assert refused.value.code == 2
    line = _one_line(capsys.readouterr().err)  # a missing required argument is named first
    assert line.startswith("run.py") and line.endswith("--help)")
    assert "unrecognized arguments: --no-such-flag" in line or f"{command}: the following arguments are required" in line


def test_one_id_parser_reads_ascii_digits_up_to_the_largest_id():
    """The parser behind REST paths, query strings, upload fields, after_seq and the admin commands."""
    assert [parse_id(raw) for raw in ("1", "42", "007", str(MAX_ID))] == [1, 42, 7, MAX_ID]
    assert [parse_id(raw) for raw in (*BAD_IDS, "", None, " 1", "1 ", "+1", "1.0", "١", str(MAX_ID + 1))] == [None] * 13
    assert (parse_id("0", minimum=0), parse_id("-0", minimum=0)) == (0, None)


async def test_createuser_reads_a_piped_password_and_keeps_it_off_the_command_line(db, config):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "createuser", "--db", config.db, "--email", "quiet@example.org",
        "--first-name", "Quiet", cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "CHAT_SCRYPT_N": "1024"})
    out, err = await asyncio.wait_for(proc.communicate(b"from a pipe 2\n"), 60)
    assert proc.returncode == 0, err.decode()
    stored = (await users.get_login(db, "quiet@example.org"))["password_hash"]
    assert security.verify_password_sync("from a pipe 2", stored)


async def test_a_backup_is_as_private_as_the_database(cli, tmp_path):
    await createuser(cli, "asha@example.org")
    old = os.umask(0o022)
    try:
        code, _, err = await cli("backup", str(tmp_path / "copy.db"))
    finally:
        os.umask(old)
    assert code == 0, err
    assert (tmp_path / "copy.db").stat().st_mode & 0o777 == 0o600
