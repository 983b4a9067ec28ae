"""A tiny run of the benchmark instrument, so that it never rots (not a timed test)."""

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

# bench/ is a folder of the repository, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import render  # noqa: E402
from bench.servers import start, stop  # noqa: E402
from bench.workloads import Knobs, Shape, measure, plan  # noqa: E402

SHAPE = Shape(rooms=1, members=4, senders=2)
KNOBS = Knobs(duration=1.0, size=64, drain=5.0, concurrency=4)


def assert_sane(result: dict[str, object]) -> None:
    """Every message reached every socket once, with plausible latency and CPU figures."""
    assert result["sent"] == 40
    assert result["expected"] == 40 * SHAPE.members
    assert result["received"] == result["expected"]
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["errors"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] < 1000
    assert result["server_cpu_s"] > 0  # 40 messages to 4 sockets cost the server some CPU
    assert 0 < result["server_cpu_pct"] <= 100 * (os.cpu_count() or 1)
    assert result["server_rss_mb"] > 1
    assert result["handshakes_per_s"] > 0
    assert result["ping_samples"] > 0 and result["ping_rtt_p50_ms"] > 0


@pytest.mark.parametrize("target", ["ceiling", "server"])
async def test_tiny_run(target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = await start(target, tmp_path)
    try:
        rooms = await plan(server, SHAPE)
        result = await measure("smoke", server, rooms, 40.0, replace(KNOBS, streams=True), p99_limit=1000.0)
        assert_sane(result)
        if target == "server":  # one stream per member, told of the room's activity (once a second at most)
            assert result["streams"] == SHAPE.members
            assert SHAPE.members <= result["stream_frames"] <= SHAPE.members * 8
        else:  # the ceiling relay has no streams
            assert "streams" not in result
    finally:
        assert await stop(server) == 0
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [line["workload"] for line in lines] == ["smoke"]
    assert f"| {target} | 40.0 | 160 | 160 | 0 | 0 |" in render(lines)
