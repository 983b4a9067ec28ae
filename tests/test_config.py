"""Settings: a bad value or database file stops start-up with one line naming it; closed clubs bootstrap
from the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatserver.config import Config, ConfigError
from chatserver.storage.migrations import SCHEMA_VERSION, schema_sql

ROOT = Path(__file__).resolve().parent.parent


def run_py(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`python run.py ...` in a fresh process with only these CHAT_* variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], env={**clean, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name, value", [
    ("CHAT_PORT", "abc"), ("CHAT_PORT", "70000"), ("CHAT_REGISTRATION", "maybe"),
    ("CHAT_CORS_ORIGINS", "example.org"), ("CHAT_LOG_LEVEL", "loud"), ("CHAT_MAX_BODY_BYTES", "-1"),
    ("CHAT_HEARTBEAT", "soon"), ("CHAT_HEARTBEAT", "nan"), ("CHAT_RATE_LIMIT", "inf"), ("CHAT_PORT", "٣"),
    ("CHAT_SCRYPT_N", "1000"), ("CHAT_SCRYPT_N", "1048576"), ("CHAT_PUBLIC_URL", "chat.example.org"),
    ("CHAT_PUBLIC_URL", "https://chat.example.org/?x=1"), ("CHAT_PUBLIC_URL", "https://:443"),
    ("CHAT_CORS_ORIGINS", "https://chat.example.org/app"), ("CHAT_EMAIL_DOMAIN", "club example"),
])
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, name, value):
    result = run_py(env={name: value, "CHAT_DB": str(tmp_path / "chat.db")}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and value in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "chat.db").exists()


@pytest.mark.parametrize("flags, value", [(("--port", "abc"), "abc"), (("--port", "99999"), "99999"),
                                          (("--port", "-1"), "-1")])
def test_a_bad_flag_is_checked_like_its_variable(tmp_path, flags, value):
    result = run_py(*flags, "--db", str(tmp_path / "chat.db"), env={}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "CHAT_PORT" in lines[0] and value in lines[0]


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _truncated(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(schema_sql())
    conn.close()
    whole = path.read_bytes()
    path.write_bytes(whole[:len(whole) // 2])


@pytest.mark.parametrize("spoil, problem", [
    (_newer_schema, f"schema version {SCHEMA_VERSION + 1} is newer"),
    (_random_bytes, "file is not a database"),
    (_truncated, "malformed"),
    (Path.mkdir, "unable to open database file"),
])
def test_an_unusable_database_stops_start_up_at_once_with_one_line(tmp_path, spoil, problem):
    db = tmp_path / "chat.db"
    spoil(db)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--port", "0", "--db", str(db)],
                            env=clean, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=5)  # a hang (the old fault) fails here
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1 and time.monotonic() - started < 5
    assert err.splitlines() == [err.strip()] and str(db) in err and problem in err, err
    assert "Traceback" not in err


def test_settings_are_kept_in_the_form_the_server_uses():
    config = Config.from_env({"CHAT_PUBLIC_URL": " https://chat.example.org/ ", "CHAT_SCRYPT_N": "16384",
                              "CHAT_CORS_ORIGINS": "https://a.example/, http://b.example:8080",
                              "CHAT_EMAIL_DOMAIN": "@Club.Example"})
    assert config.public_url == "https://chat.example.org" and config.scrypt_n == 16384
    assert config.cors_origins == ("https://a.example", "http://b.example:8080")
    assert config.email_domain == "club.example"


def test_config_error_names_the_variable():
    with pytest.raises(ConfigError, match=r"^CHAT_PORT: expected an integer, got 'abc'$"):
        Config.from_env({"CHAT_PORT": "abc"})
    assert Config.from_env({"CHAT_PORT": "9000", "CHAT_REGISTRATION": " Closed "}).registration == "closed"


async def test_createuser_works_with_registration_closed(tmp_path, make_client, config):
    env = {"CHAT_REGISTRATION": "closed", "CHAT_SCRYPT_N": "1024"}
    result = run_py("createuser", "--db", config.db, "--email", "Boss@Example.org", "--password", "correct horse",
                    "--first-name", "Boss", "--admin", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "id=1" in result.stdout
    token = result.stdout.split("token=")[1].split()[0]

    client = await make_client(config.replace(registration="closed"))
    resp = await client.get("/api/user/me/", headers={"Authorization": f"Token {token}"})
    assert resp.status == 200
    me = await resp.json()
    assert (me["email"], me["role"]) == ("boss@example.org", "admin")
    resp = await client.post("/api/user/register/", json={
        "email": "x@example.org", "password": "12345678", "first_name": "X"})
    assert resp.status == 403
    resp = await client.post("/api/user/login/", json={"email": "boss@example.org", "password": "correct horse"})
    assert resp.status == 200 and (await resp.json())["message"] == "Welcome Boss!"
