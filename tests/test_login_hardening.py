"""Password guessing against a live server: bounded per address, and no one can lock a user out."""

from __future__ import annotations

import asyncio
import time

import pytest


@pytest.fixture
def config(config):
    """127.0.0.1 plays a trusted proxy, so X-Forwarded-For names each attacker's address."""
    return config.replace(trusted_proxies=("127.0.0.1",), login_rate=3, login_address_rate=6,
                          login_slowdown=0.2, register_rate=3)


async def attempt(client, email: str, password: str, address: str) -> int:
    resp = await client.post("/api/user/login/", json={"email": email, "password": password},
                             headers={"X-Forwarded-For": address})
    await resp.read()
    return resp.status


async def test_parallel_guesses_at_one_email_get_only_the_allowed_checks(client, register):
    asha = await register("Asha")
    statuses = await asyncio.gather(*(attempt(client, asha["email"], f"guess {i}", "203.0.113.7")
                                      for i in range(20)))
    assert sorted(statuses) == [401] * 3 + [429] * 17
    assert await attempt(client, asha["email"], asha["password"], "203.0.113.7") == 429


async def test_parallel_guesses_from_one_address_get_only_its_budget(client, register):
    await register("Asha")
    statuses = await asyncio.gather(*(attempt(client, f"sprayed{i}@example.org", "guess", "203.0.113.8")
                                      for i in range(20)))
    assert sorted(statuses) == [401] * 6 + [429] * 14


async def test_guesses_from_anywhere_never_lock_out_the_right_password(client, register):
    asha = await register("Asha")
    for address in ("203.0.113.7", "203.0.113.8", "203.0.113.9"):
        for _ in range(3):
            assert await attempt(client, asha["email"], "wrong password", address) == 401
        assert await attempt(client, asha["email"], "wrong password", address) == 429
    assert await attempt(client, asha["email"], asha["password"], "198.51.100.20") == 200
    # Her own address is refused only for what it got wrong itself.
    assert await attempt(client, asha["email"], "typo", "198.51.100.20") == 401
    assert await attempt(client, asha["email"], asha["password"], "198.51.100.20") == 200


async def test_made_up_emails_lock_out_only_the_address_that_sent_them(client, register):
    asha = await register("Asha")
    statuses = [await attempt(client, f"nobody{i}@example.org", "guess", "203.0.113.7") for i in range(7)]
    assert statuses == [401] * 6 + [429]
    assert await attempt(client, asha["email"], asha["password"], "203.0.113.7") == 429
    assert await attempt(client, asha["email"], asha["password"], "198.51.100.20") == 200


async def test_a_much_guessed_email_slows_wrong_guesses_but_lets_a_right_password_first(client, register):
    asha = await register("Asha")
    for i in range(4):
        assert await attempt(client, asha["email"], "wrong password", f"203.0.113.{i}") == 401
    # Now each wrong guess at her e-mail holds one of its two turns for the slowdown (0.2 s).
    started = time.monotonic()
    guesses = {asyncio.ensure_future(attempt(client, asha["email"], "wrong", f"203.0.113.{i % 4}"))
               for i in range(8)}
    done, pending = await asyncio.wait(guesses, return_when=asyncio.FIRST_COMPLETED)
    assert await attempt(client, asha["email"], asha["password"], "198.51.100.20") == 200
    waiting = sum(not g.done() for g in guesses)
    assert sorted(await asyncio.gather(*guesses)) == [401] * 8
    assert time.monotonic() - started >= 4 * 0.2  # eight wrong guesses, two at a time
    assert waiting >= 2  # the right password did not queue behind the guesses sent before it


async def test_one_address_gets_at_most_two_checks_at_once(client):
    emails = [f"target{i}@example.org" for i in range(6)]
    for i, email in enumerate(emails):  # each e-mail much guessed, from addresses of its own
        for j in range(3):
            assert await attempt(client, email, "guess", f"198.18.{i}.{j}") == 401
    # One address now guesses at all six at once: each wrong guess is slowed 0.2 s, and only
    # two of that address's checks run at a time, whichever e-mails they are for.
    started = time.monotonic()
    statuses = await asyncio.gather(*(attempt(client, email, "guess", "203.0.113.99") for email in emails))
    assert statuses == [401] * 6
    assert time.monotonic() - started >= 3 * 0.2


async def sign_up(client, email: str, address: str) -> int:
    resp = await client.post("/api/user/register/", json={"email": email, "password": "correct horse",
                                                          "first_name": "N"}, headers={"X-Forwarded-For": address})
    await resp.read()
    return resp.status


async def test_registrations_are_throttled_per_address_parallel_ones_included(client):
    statuses = await asyncio.gather(*(sign_up(client, f"bot{i}@example.org", "203.0.113.7") for i in range(10)))
    assert sorted(statuses) == [201] * 3 + [429] * 7
    assert await sign_up(client, "bot10@example.org", "203.0.113.7") == 429
    assert await sign_up(client, "bot3@example.org", "198.51.100.20") == 201  # another address is welcome


async def test_a_registration_flood_does_not_hold_up_a_login(make_client, config, tmp_path):
    """Hashing new passwords has its own bounded pool: a login's check never queues behind it."""
    slow = config.replace(scrypt_n=2**14, hash_workers=1, register_rate=0, db=str(tmp_path / "flood.db"))
    cl = await make_client(slow)
    assert await sign_up(cl, "asha@example.org", "198.51.100.20") == 201
    flood = {asyncio.ensure_future(sign_up(cl, f"flood{i}@example.org", "203.0.113.9")) for i in range(16)}
    await asyncio.wait(flood, return_when=asyncio.FIRST_COMPLETED)
    resp = await cl.post("/api/user/login/", json={"email": "asha@example.org", "password": "correct horse"},
                         headers={"X-Forwarded-For": "198.51.100.20"})
    still_hashing = sum(not f.done() for f in flood)
    assert resp.status == 200
    assert sorted(await asyncio.gather(*flood)) == [201] * 16
    assert still_hashing >= 8  # answered while most of the flood still waited for its hashes


async def test_password_hashing_threads_run_below_the_event_loop(client, register):
    """A flood of expensive hashes takes spare CPU: the hashing threads are niced (Linux)."""
    import os
    import threading
    from pathlib import Path

    await register("Asha")  # the registration's hash starts a hashing thread
    def niceness(tid: int) -> int:
        stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of stat, counted after the name
    hashing = [t for t in threading.enumerate() if t.name.startswith("chat-hash")]
    assert hashing, "no hashing thread ran"
    loop_niceness = niceness(threading.get_native_id())
    assert all(niceness(t.native_id) == loop_niceness + 10 for t in hashing)
    assert os.getpriority(os.PRIO_PROCESS, 0) == loop_niceness  # the process itself was not reniced
