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
DEPTHS = ("newest", "middle", "deep")


def table(columns: Iterable[str], rows: list[dict]) -> str:
    """A Markdown table of `columns` over `rows` (blank where a row lacks a column)."""
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def history_rows(line: dict) -> list[dict]:
    """One row per page depth of a history run."""
    return [{"page": depth, **line[depth]} for depth in DEPTHS]


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
        elif workload == "history":
            for run in runs:
                head = {k: v for k, v in run.items() if not isinstance(v, dict)}
                out.append(table(head, [head]) + "\n")
                out.append(table(("page", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_page",
                                  "page_sizes", "wrong_first_id"), history_rows(run)))
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
