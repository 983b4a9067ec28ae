"""A tiny run of the benchmark instrument, so that it never rots (not a timed test)."""

import sys
from pathlib import Path

import pytest

# bench/ is a folder of the repository, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import client_session, close_sockets, open_sockets, traffic  # noqa: E402
from bench.servers import Server, start, stop  # noqa: E402
from bench.workloads import Shape, plan  # noqa: E402

SHAPE = Shape(rooms=1, members=4, senders=2)


async def tiny_run(server: Server) -> dict[str, object]:
    """Four sockets in one room, two senders, 40 messages/s for one second."""
    rooms = await plan(server, SHAPE)
    async with client_session() as session:
        opened = await open_sockets(session, server, rooms, concurrency=4)
        try:
            return await traffic(server, rooms, opened.sockets, rate=40.0, duration=1.0,
                                 size=64, drain=5.0)
        finally:
            await close_sockets(opened.sockets)


def assert_sane(result: dict[str, object]) -> None:
    """Every message reached every socket once, with plausible latency and CPU figures."""
    assert result["sent"] == 40
    assert result["expected"] == 40 * SHAPE.members
    assert result["received"] == result["expected"]
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["errors"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] < 1000
    assert result["server_cpu_s"] >= 0
    assert result["server_rss_mb"] > 1


@pytest.mark.parametrize("target", ["ceiling", "server"])
async def test_tiny_run(target: str, tmp_path: Path) -> None:
    server = await start(target, tmp_path)
    try:
        assert_sane(await tiny_run(server))
    finally:
        assert await stop(server) == 0
