"""Read chatserver's /metrics (Prometheus text) when it exposes one."""

import aiohttp

from bench.servers import Server

# Counters whose change over a run is reported, under a shorter name.
COUNTERS = {
    "chat_messages_committed_total": "committed",
    "chat_write_batches_total": "write_batches",
    "chat_slow_disconnects_total": "slow_disconnects",
    "chat_rate_limited_total": "rate_limited",
}


def parse(text: str) -> dict[str, float]:
    """Map `name{labels}` to its value for every sample line."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                samples[name] = float(value)
            except ValueError:
                continue
    return samples


async def scrape(session: aiohttp.ClientSession, server: Server) -> dict[str, float]:
    """The server's current samples; empty for the ceiling relay or without /metrics."""
    if server.target != "server":
        return {}
    try:
        async with session.get(f"{server.http}/metrics") as resp:
            return parse(await resp.text()) if resp.status == 200 else {}
    except aiohttp.ClientError:
        return {}


def changes(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Counter increases over a run, plus the server's own loop-lag gauges as read after it."""
    out = {short: after[name] - before.get(name, 0.0)
           for name, short in COUNTERS.items() if name in after}
    for name, value in after.items():
        if "loop_lag" in name and name.endswith("_seconds"):
            # e.g. chat_event_loop_lag_p99_seconds -> server_loop_lag_p99_ms (its last minute)
            short = "server_" + name[name.index("loop_lag"):].removesuffix("_seconds") + "_ms"
            out[short] = round(value * 1000, 3)
    return out
