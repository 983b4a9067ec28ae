"""Loop-lag probe: its own process, one idle socket, a ping every 10 ms, pong round trips.

The server answers a ping when the socket's handler next runs on the event loop, so on an
otherwise idle socket the round trip is the server's scheduling delay plus loopback. Run by
the bench: prints `ready`, starts on a `start` line on stdin, stops and prints JSON on `stop`.
"""

import argparse
import asyncio
import json
import struct
import sys
import time

import aiohttp
from aiohttp import WSMsgType

from bench.servers import REPO
from bench.stats import latency_summary


async def pings(ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
    """Send a ping carrying its send time every `interval` seconds, on schedule."""
    t0 = time.monotonic()
    for k in range(1, 10**9):
        await ws.ping(struct.pack("!q", time.monotonic_ns()))
        await asyncio.sleep(max(0.0, t0 + k * interval - time.monotonic()))


async def pongs(ws: aiohttp.ClientWebSocketResponse, rtts: list[float]) -> None:
    """Record the round trip of every pong; answer the server's own pings."""
    async for msg in ws:
        if msg.type is WSMsgType.PONG and len(msg.data) == 8:
            rtts.append((time.monotonic_ns() - struct.unpack("!q", msg.data)[0]) / 1e6)
        elif msg.type is WSMsgType.PING:
            await ws.pong(msg.data)


async def probe(url: str, interval: float) -> dict[str, object]:
    """Connect, wait for `start`, ping until `stop`, return the round-trip summary."""
    rtts: list[float] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, autoping=False, max_msg_size=0) as ws:
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            tasks = [asyncio.create_task(pings(ws, interval)), asyncio.create_task(pongs(ws, rtts))]
            await asyncio.to_thread(sys.stdin.readline)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    summary = latency_summary(rtts)
    return {f"ping_rtt_{k}": v for k, v in summary.items()} | {"ping_samples": len(rtts)}


class LagProbe:
    """The bench's handle on a probe subprocess."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def open(cls, url: str) -> "LagProbe":
        """Start a probe on `url` and wait until its socket is open."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.lagprobe", url, cwd=REPO,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        if (await proc.stdout.readline()).strip() != b"ready":
            await proc.wait()
            raise RuntimeError(f"lag probe could not connect to {url}")
        return cls(proc)

    def begin(self) -> None:
        """Start pinging."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"start\n")

    async def finish(self) -> dict[str, object]:
        """Stop pinging and return the round-trip summary."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"stop\n")
        line = await self.proc.stdout.readline()
        await self.proc.wait()
        return dict(json.loads(line))


def main() -> None:
    """Run the probe against the WebSocket URL given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--interval", type=float, default=0.01)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.url, args.interval))), flush=True)


if __name__ == "__main__":
    main()
