"""Counters, gauges and histograms of what the server did, rendered in the Prometheus text format."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import Counter, deque
from typing import Callable

HELP = {
    "chat_messages_committed_total": "Messages committed to the database.",
    "chat_events_committed_total": "Room events (created, edited, deleted, reacted) committed.",
    "chat_broadcasts_total": "Room events broadcast to a room.",
    "chat_deliveries_total": "Copies of those broadcasts handed to sockets.",
    "chat_slow_disconnects_total": "Sockets closed because they fell too far behind (4008).",
    "chat_rate_limited_total": "Frames refused by the per-socket or per-user rate limit.",
    "chat_errors_total": "Error frames sent on sockets, by code (REST errors count in chat_http_requests_total).",
    "chat_error_frames_dropped_total": "Error frames not sent: the socket was past its error budget.",
    "chat_refused_requests_cut_total": "REST requests answered 429 unread: their address was past its budget of refused requests.",
    "chat_refused_disconnects_total": "Sockets closed for sending refused frames past their error budget (4029).",
    "chat_write_batches_total": "Write transactions of the publisher.",
    "chat_write_batch_changes_total": "Changes committed by those transactions.",
    "chat_write_batch_seconds_total": "Time spent in those transactions.",
    "chat_http_requests_total": "HTTP responses by status class (a WebSocket handshake is 1xx).",
    "chat_ws_sessions_total": "WebSocket sessions opened.",
}
BATCH_SECONDS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
WINDOW = 60.0  # seconds over which the recent maxima and the loop lag p99 are taken


def _number(value: float) -> str:
    """A sample value in full precision (`:g` would turn 1234567 into 1.23457e+06)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Histogram:
    """Cumulative buckets, sum and count, as Prometheus histograms are exposed."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts):
            running += count
            out.append(f'{name}_bucket{{le="{"+Inf" if bound == float("inf") else f"{bound:g}"}"}} {running}')
        return out + [f"{name}_sum {_number(self.sum)}", f"{name}_count {running}"]


class RecentMax:
    """The largest value observed in the last WINDOW seconds (0 when none)."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()  # (time, value), values decreasing

    def observe(self, value: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        while self._samples and self._samples[-1][1] <= value:
            self._samples.pop()
        self._samples.append((now, value))

    def read(self) -> float:
        limit = time.monotonic() - WINDOW
        while self._samples and self._samples[0][0] < limit:
            self._samples.popleft()
        return self._samples[0][1] if self._samples else 0.0


class LoopLag:
    """How late a 10 ms sleep wakes up: a stalled event loop delays every socket by as much."""

    INTERVAL = 0.01

    def __init__(self) -> None:
        self.recent: deque[float] = deque(maxlen=int(WINDOW / self.INTERVAL))
        self.worst = RecentMax()

    async def run(self) -> None:
        """Measure until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.INTERVAL)
            lag = max(0.0, loop.time() - started - self.INTERVAL)
            self.recent.append(lag)
            self.worst.observe(lag)

    def p99(self) -> float:
        """The 99th percentile of the recent samples."""
        if not self.recent:
            return 0.0
        ordered = sorted(self.recent)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Metrics:
    """Plain counters (with an optional label), the write batches, and gauges read when scraped."""

    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}
        self.batch_seconds = Histogram(BATCH_SECONDS)
        self.batch_changes_max = RecentMax()
        self.batch_seconds_max = RecentMax()
        self.loop_lag = LoopLag()
        self.gauge("chat_write_batch_changes_max", "Most changes in one write transaction, last minute.",
                   self.batch_changes_max.read)
        self.gauge("chat_write_batch_seconds_max", "Longest write transaction in seconds, last minute.",
                   self.batch_seconds_max.read)
        self.gauge("chat_event_loop_lag_max_seconds", "Worst event loop lag in seconds, last minute.",
                   self.loop_lag.worst.read)
        self.gauge("chat_event_loop_lag_p99_seconds", "99th percentile of event loop lag, last minute.",
                   self.loop_lag.p99)

    def inc(self, name: str, amount: float = 1, label: str = "") -> None:
        """Add to a counter; label is a ready `key="value"` string or empty."""
        self.counters[(name, label)] += amount

    def write_batch(self, changes: int, seconds: float) -> None:
        """Account one committed write transaction."""
        self.inc("chat_write_batches_total")
        self.inc("chat_write_batch_changes_total", changes)
        self.inc("chat_write_batch_seconds_total", seconds)
        self.batch_seconds.observe(seconds)
        self.batch_changes_max.observe(changes)
        self.batch_seconds_max.observe(seconds)

    def http_response(self, status: int) -> None:
        """Count an HTTP response by its status class."""
        self.inc("chat_http_requests_total", label=f'class="{status // 100}xx"')

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """Register a value read at scrape time."""
        self.gauges[name] = (doc, read)

    def value(self, name: str, label: str = "") -> float:
        """The current value of a counter."""
        return self.counters[(name, label)]

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        for name in sorted({n for n, _ in self.counters} | set(HELP)):
            lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} counter"]
            rows = sorted((label, v) for (n, label), v in self.counters.items() if n == name)
            for label, value in rows or [("", 0)]:
                lines.append(f"{name}{{{label}}} {_number(value)}" if label else f"{name} {_number(value)}")
        name = "chat_write_batch_duration_seconds"
        lines += [f"# HELP {name} Duration of write transactions.", f"# TYPE {name} histogram",
                  *self.batch_seconds.lines(name)]
        for name, (doc, read) in sorted(self.gauges.items()):
            lines += [f"# HELP {name} {doc}", f"# TYPE {name} gauge", f"{name} {_number(read())}"]
        return "\n".join(lines) + "\n"
