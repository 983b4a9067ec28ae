"""Turn the JSON lines of `python -m bench ...` into the Markdown tables of docs/PERFORMANCE.md."""

import json
import sys
from collections.abc import Iterable

MESSAGE_COLUMNS = (
    "target", "rate", "expected", "received", "lost", "duplicated", "p50_ms", "p99_ms",
    "max_ms", "cpu_s_per_1k_deliveries", "cpu_s_per_1k_messages", "server_cpu_pct",
    "gen_cpu_pct", "send_lag_max_ms", "ping_rtt_p99_ms", "server_loop_lag_p99_ms", "committed",
    "write_batches", "healthy", "loadavg_1m", "at",
)
IDLE_COLUMNS = (
    "target", "sockets", "connect_failures", "handshakes_per_s", "server_cpu_ms_per_handshake",
    "gen_cpu_pct_handshakes", "rss_empty_mb", "rss_mb", "rss_per_socket_kb", "idle_cpu_pct",
    "loadavg_1m", "at",
)
HOSTILE_COLUMNS = (
    "attack", "rate", "expected", "received", "lost", "p50_ms", "p99_ms", "max_ms", "ping_rtt_p99_ms",
    "server_cpu_pct", "attack_outcomes", "healthy", "loadavg_1m",
)
def table(columns: Iterable[str], rows: list[dict]) -> str:
    """A Markdown table of `columns` over `rows` (blank where a row lacks a column)."""
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def nested_rows(line: dict, label: str) -> list[dict]:
    """One row per nested figure of a run: each page depth of history, each kind of query of search."""
    return [{label: name, **figures} for name, figures in line.items() if isinstance(figures, dict)]


def render(lines: list[dict]) -> str:
    """Every workload's tables, in the order the workloads appear."""
    out = []
    for workload in dict.fromkeys(line["workload"] for line in lines):
        runs = [line for line in lines if line["workload"] == workload]
        out.append(f"### {workload}\n")
        if workload == "idle":
            out.append(table(IDLE_COLUMNS, runs))
        elif workload == "hostile":
            out.append(table(HOSTILE_COLUMNS, runs))
        elif workload in ("history", "search"):
            for run in runs:
                head = {k: v for k, v in run.items() if not isinstance(v, dict)}
                rows = nested_rows(run, "page" if workload == "history" else "query")
                out.append(table(head, [head]) + "\n")
                out.append(table(dict.fromkeys(column for row in rows for column in row), rows))
        else:
            out.append(table(MESSAGE_COLUMNS, [r for r in runs if r["target"] != "ratio"]) + "\n")
            out.append(table(("rate", "cpu_per_delivery_server_over_ceiling", "pairs"),
                             [r for r in runs if r["target"] == "ratio"]))
        out.append("")
    return "\n".join(out)


def main() -> None:
    """Read JSON lines from the files named (or stdin) and print the tables."""
    sources = [open(name, encoding="utf-8") for name in sys.argv[1:]] or [sys.stdin]
    lines = [json.loads(text) for src in sources for text in src if text.startswith("{")]
    print(render(lines))


if __name__ == "__main__":
    main()
