"""A tiny run of the search benchmark, so that it never rots (not a timed test)."""

import json
import sys
from pathlib import Path

import pytest

# bench/ is a folder of the repository, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import TARGETS_MS, search_workload  # noqa: E402


async def test_tiny_search_run_builds_once_and_times_every_kind(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    first = await search_workload(tmp_path, 400, 3, timeout=60.0)
    plan = tmp_path / "search-400" / "plan.json"
    built = plan.stat().st_mtime_ns
    assert first["messages"] == 400 and first["rooms"] == 500 and first["searcher_rooms"] == 50
    assert first["index_tables"] >= 1 and 0 < first["index_mb"] < first["db_mb"]
    for kind in TARGETS_MS:
        figures = first[kind]
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"], kind
        assert figures["mean_hits"] >= 0 and figures["met"] in (True, False)
    second = await search_workload(tmp_path, 400, 3, timeout=60.0)  # the cached file, already indexed
    assert plan.stat().st_mtime_ns == built and second["db_mb"] == first["db_mb"]
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [line["workload"] for line in lines] == ["search", "search"]
