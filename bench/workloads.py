"""The message workloads: fan-out, many rooms and big room, server beside the ceiling."""

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.lagprobe import LagProbe
from bench.loadgen import traffic
from bench.output import emit, progress
from bench.profile import record
from bench.provision import create_room, fake_members, register
from bench.scrape import changes, scrape
from bench.servers import Server, start, stop
from bench.sockets import RoomPlan, Streams, client_session, close_sockets, open_sockets

TARGETS = ("server", "ceiling")
WARMUP_RATE = 50.0


@dataclass(frozen=True)
class Shape:
    """Rooms, members per room and senders per room of a workload."""

    rooms: int
    members: int
    senders: int


@dataclass(frozen=True)
class Knobs:
    """Per-run settings shared by every message workload."""

    duration: float
    size: int
    drain: float
    concurrency: int
    profile: Path | None = None
    repeat: int = 1
    streams: bool = False


async def plan(server: Server, shape: Shape) -> list[RoomPlan]:
    """Provision the rooms of `shape` on `server` (nothing to do on the ceiling relay)."""
    if server.target == "ceiling":
        return [RoomPlan(r + 1, fake_members(shape.members), shape.senders) for r in range(shape.rooms)]
    rooms = []
    async with aiohttp.ClientSession() as session:
        for r in range(shape.rooms):
            members = await register(session, server.http, shape.members, f"r{r}u")
            room_id = await create_room(session, server.http, f"bench {r}", members[0], members)
            rooms.append(RoomPlan(room_id, members, shape.senders))
    return rooms


async def measure(
    workload: str, server: Server, rooms: list[RoomPlan], rate: float, knobs: Knobs,
    p99_limit: float,
) -> dict[str, object]:
    """Connect, warm up for a second, drive one rate through every socket, report the run."""
    progress(f"{workload} {server.target} rate={rate}: connecting")
    async with client_session() as session:
        opened = await open_sockets(session, server, rooms, knobs.concurrency)
        streams = await Streams.open(session, server, rooms) if knobs.streams and server.target == "server" \
            else None
        progress(f"{workload} {server.target} rate={rate}: {len(opened.sockets)} sockets, sending")
        await traffic(server, rooms, opened.sockets, min(rate, WARMUP_RATE), 1.0, knobs.size, 2.0)
        if streams:
            streams.frames = 0
        first = rooms[0]
        lag = await LagProbe.open(f"{server.ws}/ws/chat/{first.room_id}/?token={first.members[0].token}")
        before = await scrape(session, server)
        spy = None
        if knobs.profile:
            out = knobs.profile / f"{workload}-{server.target}-{rate:g}.txt"
            spy = await record(server, knobs.duration, out)
        lag.begin()
        try:
            result = await traffic(
                server, rooms, opened.sockets, rate, knobs.duration, knobs.size, knobs.drain
            )
        finally:
            result_lag = await lag.finish()
            await close_sockets(opened.sockets)
            if streams:
                await streams.close()
            if spy:
                await spy.wait()
        counted = changes(before, await scrape(session, server))
    if streams:
        result.update(streams=len(streams.sockets), stream_frames=streams.frames)
    line = {"workload": workload, "target": server.target, **result, **result_lag,
            **opened.figures(), **counted}
    line["healthy"] = line["lost"] == 0 and line["duplicated"] == 0 and line["p99_ms"] <= p99_limit
    emit(line)
    return line


def ratio(workload: str, rate: float, pairs: list[dict[str, dict[str, object]]]) -> None:
    """Emit the headline figure: server CPU per delivery over the ceiling's (median of pairs)."""
    ratios = []
    for pair in pairs:
        server = pair["server"]["cpu_s_per_1k_deliveries"]
        ceiling = pair["ceiling"]["cpu_s_per_1k_deliveries"]
        if isinstance(server, float) and isinstance(ceiling, float) and ceiling > 0:
            ratios.append(round(server / ceiling, 2))
    if ratios:
        line: dict[str, object] = {"workload": workload, "target": "ratio", "rate": rate,
                                   "cpu_per_delivery_server_over_ceiling": statistics.median(ratios)}
        if len(ratios) > 1:
            line["pairs"] = ratios
        emit(line)


async def attempt(workload: str, server: Server, rooms: list[RoomPlan], rate: float,
                  knobs: Knobs, p99_limit: float, retry: bool) -> dict[str, object]:
    """Measure one rate; when it is not healthy and `retry`, measure it once more."""
    line = await measure(workload, server, rooms, rate, knobs, p99_limit)
    if not line["healthy"] and retry:
        progress(f"{workload} {server.target} rate={rate}: failed, retrying once")
        line = await measure(workload, server, rooms, rate, knobs, p99_limit)
    return line


async def side_by_side(
    workload: str, shape: Shape, rates: list[float], knobs: Knobs, p99_limit: float,
    stop_on_failure: bool = True, targets: tuple[str, ...] = TARGETS,
) -> None:
    """Run every rate against chatserver and the ceiling relay, each until it fails twice."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        servers = [await start(t, Path(tmp)) for t in targets]
        try:
            plans = {s.target: await plan(s, shape) for s in servers}
            alive = {t: True for t in targets}
            for rate in rates:
                pairs, healthy = [], {t: False for t in targets}
                for _ in range(knobs.repeat):
                    pair = {}
                    for server in [s for s in servers if alive[s.target]]:
                        pair[server.target] = line = await attempt(
                            workload, server, plans[server.target], rate, knobs, p99_limit,
                            stop_on_failure)
                        healthy[server.target] |= bool(line["healthy"])
                    if len(pair) == 2:
                        pairs.append(pair)
                ratio(workload, rate, pairs)
                alive = {t: alive[t] and (healthy[t] or not stop_on_failure) for t in targets}
                if not any(alive.values()):
                    break
        finally:
            for server in servers:
                await stop(server)
