"""Summary figures for one run: percentiles and rounding."""

from collections.abc import Sequence


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile `q` (0-100) of an already sorted sequence; 0 when empty."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * q // 100))
    return float(ordered[int(rank) - 1])


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of end-to-end latencies, in ms."""
    ordered = sorted(latencies_ms)
    return {
        "p50_ms": round(percentile(ordered, 50), 3),
        "p99_ms": round(percentile(ordered, 99), 3),
        "max_ms": round(ordered[-1], 3) if ordered else 0.0,
    }


def per_thousand(cpu_s: float, count: int) -> float | None:
    """CPU seconds per 1,000 events; None when nothing happened."""
    return round(cpu_s * 1000 / count, 6) if count else None
