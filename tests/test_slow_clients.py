"""Slow and dead clients: a stalled reader is cut off (4008) while the room runs on; dead peers are dropped."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from chatserver.keys import METRICS, REGISTRY
from conftest import recv, recv_until

BIG = 30_000  # characters in each message: a stalled reader's kernel buffers fill after a few hundred


@pytest.fixture
def config(config):
    """A 64 KiB outbound buffer per socket, big messages, no rate limit."""
    return config.replace(send_buffer_bytes=64 * 1024, max_message_length=BIG, rate_limit=0)


async def read_seqs(ws, final: int | None = None, arrivals: list[float] | None = None,
                    timeout: float = 5.0) -> list[int]:
    """The seqs of the frames up to seq final (or up to the message "end"), noting when each arrived."""
    seqs: list[int] = []
    while True:
        frame = await recv(ws, timeout)
        assert "seq" in frame, frame
        seqs.append(frame["seq"])
        if arrivals is not None:
            arrivals.append(time.monotonic())
        if frame["seq"] == final or (final is None and frame["message"] == "end"):
            return seqs


async def test_stalled_reader_is_closed_4008_while_the_room_keeps_its_pace(client, register, make_room, connect):
    asha, ravi, mina = await register("Asha"), await register("Ravi"), await register("Mina")
    room = await make_room(asha, ravi, mina)
    ws_a, ws_r, ws_m = [await connect(u, room["id"]) for u in (asha, ravi, mina)]
    ws_m._conn.transport.pause_reading()  # Mina's app hangs: it stops reading its socket
    metrics = client.app[METRICS]
    body = "x" * BIG
    arrivals: list[float] = []

    async def sender() -> int:
        sent = 0
        while metrics.value("chat_slow_disconnects_total") == 0 and sent < 1000:
            await ws_a.send_json({"message": body})
            sent += 1
            await asyncio.sleep(0.001)
        for _ in range(50):  # the room goes on after the cut
            await ws_a.send_json({"message": body})
        await ws_a.send_json({"message": "end"})
        return sent + 51

    async with asyncio.timeout(60):
        final, seen, echoed = await asyncio.gather(sender(), read_seqs(ws_r, None, arrivals), read_seqs(ws_a))
    assert seen == echoed == list(range(1, final + 1))
    assert metrics.value("chat_slow_disconnects_total") == 1
    assert final < 1000, "the stalled socket must be cut off"
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert max(gaps) < 1.0, f"Ravi waited {max(gaps):.2f}s for a frame while Mina was stuck"

    ws_m._conn.transport.resume_reading()
    got: list[int] = []
    while True:
        msg = await ws_m.receive(timeout=5)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        got.append(msg.json()["seq"])
    assert msg.type is aiohttp.WSMsgType.CLOSE and (msg.data, msg.extra) == (4008, "slow")
    assert got == list(range(1, len(got) + 1)) and len(got) < final

    resumed = await connect(mina, room["id"], f"&after_seq={len(got)}")
    first = await recv(resumed)
    assert first == {"action": "resumed", "after_seq": len(got), "last_seq": final, "count": final - len(got)}
    assert await read_seqs(resumed, final) == list(range(len(got) + 1, final + 1))
    assert metrics.value("chat_slow_disconnects_total") == 1
    for ws in (ws_a, ws_r, resumed):
        await ws.close()


async def test_a_long_replay_to_a_reading_client_is_not_cut_off(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws_a = await connect(asha, room["id"])
    for n in range(400):  # 12 MB: far more than one socket may buffer
        await ws_a.send_json({"message": f"{n:03} " + "y" * (BIG - 4)})
    await read_seqs(ws_a, 400, timeout=10)
    resumed = await connect(ravi, room["id"], "&after_seq=0")
    assert (await recv(resumed))["count"] == 400
    assert await read_seqs(resumed, 400, timeout=10) == list(range(1, 401))
    assert client.app[METRICS].value("chat_slow_disconnects_total") == 0
    for ws in (ws_a, resumed):
        await ws.close()


async def test_dead_peer_is_dropped_by_heartbeat_and_stops_typing(make_client, config, tmp_path, register, make_room):
    cl = await make_client(config.replace(heartbeat=1.0, db=str(tmp_path / "heartbeat.db")))
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, ravi, cl=cl)
    ws_a = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={asha.token}")
    dead = await cl.ws_connect(f"/ws/chat/{room['id']}/?token={ravi.token}", autoping=False)
    await dead.send_json({"action": "typing"})
    started = await recv(ws_a)
    assert started["action"] == "typing" and started["is_typing"] is True
    assert started["sender"]["id"] == ravi["id"]
    began = time.monotonic()
    stopped = await recv_until(ws_a, lambda f: f.get("action") == "typing", timeout=5)
    assert stopped == {**started, "is_typing": False}
    assert time.monotonic() - began < 4
    assert cl.app[REGISTRY].by_user[ravi["id"]] == 0 and cl.app[REGISTRY].by_user[asha["id"]] == 1
    await ws_a.send_json({"message": "asha is still connected"})
    assert (await recv(ws_a))["message"] == "asha is still connected"
    for ws in (ws_a, dead):
        await ws.close()
