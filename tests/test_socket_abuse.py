"""Hostile sockets: floods of refused frames, one user's many sockets, uploads past the message rate."""

from __future__ import annotations

import time

import aiohttp
import pytest

from chatserver.keys import METRICS
from conftest import recv


@pytest.fixture
def config(config):
    """Small budgets, so that each is passed in a few dozen frames."""
    return config.replace(rate_limit=5.0, rate_burst=10, error_rate=5.0, error_burst=10, error_close=30,
                          max_sockets_per_user=0)


async def errors_until_closed(ws) -> tuple[int, int | None]:
    """How many error frames arrive before the server closes the socket, and its close code."""
    errors = 0
    msg = await ws.receive(timeout=5)
    while msg.type is aiohttp.WSMsgType.TEXT:
        errors += msg.json().get("action") == "error"
        msg = await ws.receive(timeout=5)
    return errors, msg.data if msg.type is aiohttp.WSMsgType.CLOSE else None


async def test_a_flood_of_refused_frames_is_cut_short_and_the_socket_closed_4029(
        client, seat_two):
    asha, ravi, room, flooder, calm = await seat_two()
    for n in range(200):
        await flooder.send_str("not json" if n % 2 else '{"action": "typing", "oops": ')
    errors, code = await errors_until_closed(flooder)
    assert code == 4029, "the flooder's socket was not closed"
    assert errors <= 15, f"{errors} error frames for 200 refused frames: the burst of 10 plus what 5/s refills"
    metrics = client.app[METRICS]
    assert metrics.value("chat_error_frames_dropped_total") >= 30
    assert metrics.value("chat_refused_disconnects_total") == 1
    started = time.monotonic()
    await calm.send_json({"message": "still here"})
    assert (await recv(calm))["message"] == "still here" and time.monotonic() - started < 1.0
    await calm.close()


async def test_a_user_stream_flooded_with_frames_is_closed_4029_too(client, register):
    asha = await register("Asha")
    stream = await client.ws_connect(f"/ws/user/?token={asha.token}")
    for _ in range(200):
        await stream.send_json({"action": "typing"})  # a stream takes no frames: each one is refused
    errors, code = await errors_until_closed(stream)
    assert code == 4029
    assert errors <= 15


async def test_a_few_refused_frames_all_get_their_error_and_the_socket_stays(client, register, make_room, connect):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await connect(asha, room["id"])
    for n in range(10):
        await ws.send_json({"action": "shout", "client_id": f"e{n}"})
    got = [await recv(ws) for _ in range(10)]
    assert [(f["code"], f["client_id"]) for f in got] == [("unknown_action", f"e{n}") for n in range(10)]
    await ws.send_json({"message": "fine"})
    assert (await recv(ws))["message"] == "fine"
    await ws.close()


async def test_the_message_rate_holds_per_user_across_their_sockets(client, register, make_room, connect, db_rows):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    sockets = [await connect(asha, room["id"]) for _ in range(4)]
    watcher = await connect(ravi, room["id"])
    for n in range(10):
        for i, ws in enumerate(sockets):
            await ws.send_json({"message": f"s{i} m{n}"})
    received = []
    while True:
        try:
            received.append(await watcher.receive_json(timeout=0.5))
        except TimeoutError:
            break
    assert 10 <= len(received) <= 13, f"{len(received)} of 40 got through: the burst of 10 plus what 5/s refills"
    assert db_rows("SELECT count(*) FROM messages") == [(len(received),)]
    for ws in (*sockets, watcher):
        await ws.close()


async def test_uploads_count_against_the_same_per_user_rate(client, register, make_room, connect, db_rows):
    asha = await register("Asha")
    room = await make_room(asha)
    ws = await connect(asha, room["id"])
    for n in range(8):
        await ws.send_json({"message": f"m{n}"})
    for _ in range(8):
        await recv(ws)
    statuses = []
    for n in range(12):
        form = aiohttp.FormData()
        form.add_field("attachment", b"plain text", filename=f"f{n}.txt", content_type="text/plain")
        resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form, headers=asha.auth)
        statuses.append(resp.status)
        if resp.status == 429:
            assert (await resp.json())["code"] == "rate_limited"
    assert statuses.count(201) <= 4, f"{statuses}: 2 left of the burst of 10 plus what 5/s refills"
    assert 429 in statuses
    assert db_rows("SELECT count(*) FROM messages") == [(8 + statuses.count(201),)]
    await ws.close()


async def test_a_flood_of_typing_frames_is_closed_4029_and_the_room_hears_a_few(
        client, seat_two):
    """Typing past its rate gets no answer, but each dropped frame spends the error budget."""
    asha, ravi, room, flooder, calm = await seat_two()
    for _ in range(300):
        await flooder.send_json({"action": "typing"})
    errors, code = await errors_until_closed(flooder)
    assert (errors, code) == (0, 4029), "a typing flood must end in 4029, with no error frames"
    heard = 0
    await calm.send_json({"message": "after the flood"})
    while (frame := await recv(calm)).get("message") != "after the flood":
        heard += frame.get("action") == "typing"
    assert heard <= 12, f"{heard} typing frames relayed for 300 sent (rate 5/s)"
    assert client.app[METRICS].value("chat_refused_disconnects_total") == 1
    await calm.close()


async def test_typing_at_a_person_s_pace_never_closes_the_socket(client, register, make_room, connect):
    """A client that sends typing on every keystroke, a little faster than the rate, keeps its socket."""
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    typist = await connect(asha, room["id"])
    for _ in range(12):  # double the rate's burst at once: the surplus is dropped, well within the budget
        await typist.send_json({"action": "typing"})
    await typist.send_json({"message": "still open"})
    assert (await recv(typist))["message"] == "still open"
    await typist.close()


def test_a_rate_that_is_off_keeps_nothing_per_key():
    from chatserver.rates import UserRates

    off, on = UserRates(0, 10, keep=5), UserRates(1.0, 10, keep=5)
    assert all(off.take(f"10.0.0.{n}") for n in range(100)) and off.buckets == {}
    for n in range(100):
        on.take(n)
    assert len(on.buckets) == 100  # each key spent a token: none is full enough to forget yet
