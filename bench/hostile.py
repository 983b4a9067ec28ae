"""The hostile-neighbour workload: many-rooms traffic while one client attacks, one attack at a time.

The rooms and the attacker's data are made on a server with the bench's lifted limits; the
server is then restarted on the same database with its defaults, as a club runs it, and each
attack (its own process, bounded in count and time) runs while the members' traffic is measured.
"""

import asyncio
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import aiohttp
import orjson

from bench.attacks import ATTACKS, Arena
from bench.lagprobe import LagProbe
from bench.loadgen import traffic
from bench.output import emit, progress
from bench.provision import CONCURRENCY, Member, create_room, post, register
from bench.scrape import changes, scrape
from bench.servers import REPO, Server, start, stop
from bench.sockets import RoomPlan, client_session, close_sockets, open_sockets
from bench.workloads import Shape, plan

SHAPE = Shape(rooms=50, members=5, senders=2)
P99_LIMIT_MS, LAG_LIMIT_MS = 50.0, 20.0
RAMP_S = 1.0  # the attack runs this long before the members' traffic starts
# The server as a club runs it, default limits; but every member here connects from one address,
# so the per-address connection cap (which a club's members, each on their own address, never meet)
# is lifted: the attacks are held by the other bounds.
CLUB_SETTINGS = {"CHAT_MAX_CONNECTIONS_PER_IP": "0"}


async def _fill(server: Server, member: Member, room_id: int, count: int) -> None:
    """Send `count` messages to a room through one socket and wait until the last is echoed."""
    async with client_session() as session:
        ws = await session.ws_connect(f"{server.ws}/ws/chat/{room_id}/?token={member.token}", max_msg_size=0)
        last = f"fill {count - 1}"

        async def echoes() -> None:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT and orjson.loads(msg.data).get("message") == last:
                    return

        reader = asyncio.create_task(echoes())
        for n in range(count):
            await ws.send_str(orjson.dumps({"action": "send_message", "message": f"fill {n}"}).decode())
        await asyncio.wait_for(reader, 120)
        await ws.close()


async def provision(server: Server, shape: Shape, attacker_rooms: int,
                    deep_messages: int) -> tuple[list[RoomPlan], Arena]:
    """The members' rooms, and the attacker: its room of `deep_messages` messages, in many rooms."""
    rooms = await plan(server, shape)
    async with aiohttp.ClientSession() as session:
        (attacker,) = await register(session, server.http, 1, "attacker")
        room_id = await create_room(session, server.http, "attacker's room", attacker, [attacker])
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int) -> None:
            async with gate:
                await post(session, f"{server.http}/api/chat/create-group/",
                           {"name": f"crowd {n}", "members": []}, attacker.token)

        progress(f"hostile: the attacker joins {attacker_rooms} rooms")
        await asyncio.gather(*(one(n) for n in range(attacker_rooms)))
    progress(f"hostile: {deep_messages} messages in the attacker's room")
    await _fill(server, attacker, room_id, deep_messages)
    arena = Arena(server.http, server.ws, attacker, room_id, room_id, max(1, deep_messages // 20),
                  "r0u0@bench.example")
    return rooms, arena


async def _attacker(name: str, arena: Arena) -> asyncio.subprocess.Process:
    # At nice +10: on a real server the attacker's CPU is another machine's; here it shares two
    # cores with the server and the generator, and must not win them from either.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.attacks", name, json.dumps(dataclasses.asdict(arena)), cwd=REPO,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, preexec_fn=lambda: os.nice(10))
    assert proc.stdout is not None
    if (await proc.stdout.readline()).strip() != b"started":
        await proc.wait()
        raise RuntimeError(f"attack {name} did not start")
    return proc


async def _stop_attacker(proc: asyncio.subprocess.Process) -> dict[str, int]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"stop\n")
    line = await proc.stdout.readline()
    await proc.wait()
    return dict(json.loads(line)) if line.startswith(b"{") else {"attacker_exit": proc.returncode or 0}


async def phase(server: Server, rooms: list[RoomPlan], arena: Arena, attack: str, rate: float,
                duration: float) -> dict[str, object]:
    """Members' traffic at `rate` for `duration` s while `attack` runs ("none": no attack)."""
    progress(f"hostile {attack}: connecting")
    async with client_session() as session:
        opened = await open_sockets(session, server, rooms, 64)
        first = rooms[0]
        lag = await LagProbe.open(f"{server.ws}/ws/chat/{first.room_id}/?token={first.members[0].token}")
        before = await scrape(session, server)
        attacker = await _attacker(attack, arena) if attack != "none" else None
        if attacker is not None:
            await asyncio.sleep(RAMP_S)
        progress(f"hostile {attack}: {len(opened.sockets)} sockets, sending")
        lag.begin()
        try:
            result = await traffic(server, rooms, opened.sockets, rate, duration, 100, 5.0)
        finally:
            result_lag = await lag.finish()
            outcomes = await _stop_attacker(attacker) if attacker is not None else {}
            await close_sockets(opened.sockets)
        counted = changes(before, await scrape(session, server))
    line: dict[str, object] = {"workload": "hostile", "attack": attack, **result, **result_lag, **counted,
                               "attack_outcomes": outcomes}
    line["healthy"] = (line["lost"] == 0 and line["p99_ms"] <= P99_LIMIT_MS
                       and float(result_lag.get("ping_rtt_p99_ms") or 0) <= LAG_LIMIT_MS)
    emit(line)
    return line


async def hostile(rate: float, duration: float, attacks: list[str], attacker_rooms: int,
                  deep_messages: int, shape: Shape = SHAPE) -> list[dict[str, object]]:
    """Provision, restart with the club's settings, then one phase per attack after a quiet one."""
    unknown = [a for a in attacks if a not in ATTACKS]
    if unknown:
        raise SystemExit(f"unknown attacks: {', '.join(unknown)} (known: {', '.join(ATTACKS)})")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        server = await start("server", Path(tmp))
        try:
            rooms, arena = await provision(server, shape, attacker_rooms, deep_messages)
        finally:
            await stop(server)
        server = await start("server", Path(tmp), settings=CLUB_SETTINGS)
        arena = dataclasses.replace(arena, http=server.http, ws=server.ws)
        try:
            return [await phase(server, rooms, arena, attack, rate, duration) for attack in ["none", *attacks]]
        finally:
            await stop(server)
