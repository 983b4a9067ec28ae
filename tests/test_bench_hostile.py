"""A tiny run of the hostile-neighbour workload, so that the instrument never rots (not a timed test)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hostile import hostile  # noqa: E402
from bench.workloads import Shape  # noqa: E402


async def test_tiny_hostile_run(capsys: pytest.CaptureFixture[str]) -> None:
    lines = await hostile(rate=20.0, duration=1.0, attacks=["invalid_frames"], attacker_rooms=3,
                          deep_messages=40, shape=Shape(rooms=2, members=2, senders=1))
    quiet, attacked = lines
    assert [quiet["attack"], attacked["attack"]] == ["none", "invalid_frames"]
    for line in lines:  # the members' traffic was measured in both phases
        assert line["sent"] == 20 and line["expected"] == 40
        assert line["ping_samples"] > 0
    assert quiet["lost"] == 0 and quiet["attack_outcomes"] == {}
    outcomes = attacked["attack_outcomes"]
    assert outcomes["sockets"] == 4 and outcomes["frames_sent"] > 0  # the attack really ran
    printed = [json.loads(text)["attack"] for text in capsys.readouterr().out.splitlines()]
    assert printed == ["none", "invalid_frames"]
