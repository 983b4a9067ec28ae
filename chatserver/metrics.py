"""Counters of what the server did, rendered in the Prometheus text format."""

from __future__ import annotations

from collections import Counter
from typing import Callable

HELP = {
    "chat_messages_committed_total": "Messages committed to the database.",
    "chat_events_committed_total": "Room events (created, edited, deleted, reacted) committed.",
    "chat_broadcasts_total": "Frames broadcast to a room.",
    "chat_deliveries_total": "Frames written to sockets by broadcasts.",
    "chat_slow_disconnects_total": "Sockets closed because they fell too far behind (4008).",
    "chat_rate_limited_total": "Frames refused by the per-socket rate limit.",
    "chat_errors_total": "Error frames and error responses, by code.",
    "chat_write_batches_total": "Write transactions of the journal.",
    "chat_write_batch_changes_total": "Changes committed by those transactions.",
    "chat_write_batch_seconds_total": "Time spent in those transactions.",
    "chat_http_requests_total": "HTTP requests answered.",
    "chat_ws_sessions_total": "WebSocket sessions opened.",
}


class Metrics:
    """Plain counters (with an optional label) plus gauges read when scraped."""

    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def inc(self, name: str, amount: float = 1, label: str = "") -> None:
        """Add to a counter; label is a ready `key="value"` string or empty."""
        self.counters[(name, label)] += amount

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """Register a value read at scrape time."""
        self.gauges[name] = (doc, read)

    def value(self, name: str, label: str = "") -> float:
        """The current value of a counter."""
        return self.counters[(name, label)]

    def render(self) -> str:
        """The Prometheus text exposition format."""
        lines: list[str] = []
        for name in sorted({n for n, _ in self.counters} | set(HELP)):
            lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} counter"]
            rows = sorted((label, v) for (n, label), v in self.counters.items() if n == name)
            for label, value in rows or [("", 0)]:
                lines.append(f"{name}{{{label}}} {value:g}" if label else f"{name} {value:g}")
        for name, (doc, read) in sorted(self.gauges.items()):
            lines += [f"# HELP {name} {doc}", f"# TYPE {name} gauge", f"{name} {read():g}"]
        return "\n".join(lines) + "\n"
