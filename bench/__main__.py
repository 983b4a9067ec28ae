"""Command line: `python -m bench <workload> [knobs]`, one JSON line per run on stdout."""

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

from bench.attacks import ATTACKS
from bench.history import history
from bench.hostile import hostile
from bench.idle import idle
from bench.search import search_workload
from bench.servers import raise_nofile
from bench.workloads import Knobs, Shape, side_by_side



@dataclass(frozen=True)
class Workload:
    """A message workload: its rooms, default rates (messages/s), p99 limit (ms), ladder rule."""

    shape: Shape
    rates: str
    p99_limit: float
    stop_on_failure: bool
    about: str


MESSAGE_WORKLOADS = {
    "fanout": Workload(Shape(rooms=1, members=50, senders=5), "100,200,400,800,1600", 100.0, True,
                       "1 room, 50 members, 5 senders; rising rates until loss or p99 > 100 ms"),
    "rooms": Workload(Shape(rooms=50, members=5, senders=2), "500,1000,2000,5000", 50.0, False,
                      "50 rooms of 5 members, 2 senders each"),
    "bigroom": Workload(Shape(rooms=1, members=1000, senders=5), "10,25,50", 100.0, False,
                        "1 room of 1,000 members, 5 senders"),
}


def parser() -> argparse.ArgumentParser:
    """Build the argument parser with one sub-command per workload."""
    root = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = root.add_subparsers(dest="workload", required=True)
    for name, workload in MESSAGE_WORKLOADS.items():
        cmd = sub.add_parser(name, help=f"{workload.about}; chatserver beside the ceiling relay")
        cmd.add_argument("--rates", default=workload.rates, help="comma list of messages/s (total)")
        cmd.add_argument("--duration", type=float, default=5.0, help="seconds of traffic per run")
        cmd.add_argument("--size", type=int, default=100, help="characters per message")
        cmd.add_argument("--drain", type=float, default=5.0, help="seconds to wait for stragglers")
        cmd.add_argument("--concurrency", type=int, default=64, help="handshakes in flight")
        cmd.add_argument("--targets", default="server,ceiling", help="server, ceiling or both")
        cmd.add_argument("--profile", type=Path, help="folder for py-spy samples of the server")
        cmd.add_argument("--repeat", type=int, default=1, help="runs per rate and target")
        cmd.add_argument("--streams", action="store_true",
                         help="every member also holds a user stream (/ws/user/; chatserver only)")
    cmd = sub.add_parser("idle", help="idle sockets: RSS per socket and handshake rate")
    cmd.add_argument("--sockets", type=int, default=10_000)
    cmd.add_argument("--users", type=int, default=10)
    cmd.add_argument("--rooms", type=int, default=10)
    cmd.add_argument("--hold", type=float, default=5.0, help="seconds to hold the sockets open")
    cmd.add_argument("--concurrency", type=int, default=64, help="handshakes in flight")
    cmd.add_argument("--targets", default="server,ceiling", help="server, ceiling or both")
    cmd = sub.add_parser("history", help="a room of many messages: page latency, start-up")
    cmd.add_argument("--messages", type=int, default=1_000_000)
    cmd.add_argument("--requests", type=int, default=200, help="pages fetched per depth")
    cmd = sub.add_parser("search", help="1,000,000 messages in 500 rooms: search latency for a member of 50")
    cmd.add_argument("--messages", type=int, default=1_000_000)
    cmd.add_argument("--requests", type=int, default=200, help="queries timed per kind")
    cmd.add_argument("--data", type=Path, default=Path("bench-data"),
                     help="folder where the database is built once and reused")
    cmd.add_argument("--index-timeout", type=float, default=7200.0,
                     help="seconds to wait for the server to index the database")
    cmd = sub.add_parser("hostile", help="rooms traffic while one client attacks, one attack at a time")
    cmd.add_argument("--rate", type=float, default=500.0, help="members' messages/s (total)")
    cmd.add_argument("--duration", type=float, default=5.0, help="seconds of traffic per attack")
    cmd.add_argument("--attacks", default=",".join(ATTACKS), help="comma list of attacks")
    cmd.add_argument("--attacker-rooms", type=int, default=999,
                     help="rooms the attacker is in (with its own: CHAT_MAX_ROOMS_PER_USER, 1000)")
    cmd.add_argument("--deep-messages", type=int, default=20_000, help="messages in the attacker's room")
    cmd = sub.add_parser("all", help="every workload with its defaults, one after the other")
    cmd.add_argument("--repeat", type=int, default=1, help="runs per rate and target (messages)")
    return root


async def run(args: argparse.Namespace) -> None:
    """Run the chosen workload."""
    if args.workload == "all":
        for name in MESSAGE_WORKLOADS:
            await run(parser().parse_args([name, "--repeat", str(args.repeat)]))
        for name in ("idle", "history", "hostile"):
            await run(parser().parse_args([name]))
    elif args.workload == "idle":
        targets = tuple(args.targets.split(","))
        await idle(args.users, args.rooms, args.sockets, args.hold, args.concurrency, targets)
    elif args.workload == "history":
        await history(args.messages, args.requests)
    elif args.workload == "search":
        await search_workload(args.data, args.messages, args.requests, args.index_timeout)
    elif args.workload == "hostile":
        await hostile(args.rate, args.duration, args.attacks.split(","), args.attacker_rooms,
                      args.deep_messages)
    else:
        workload = MESSAGE_WORKLOADS[args.workload]
        knobs = Knobs(args.duration, args.size, args.drain, args.concurrency, args.profile,
                      args.repeat, args.streams)
        rates = [float(r) for r in args.rates.split(",")]
        targets = tuple(args.targets.split(","))
        await side_by_side(args.workload, workload.shape, rates, knobs, workload.p99_limit,
                           workload.stop_on_failure, targets)


def main() -> None:
    """Entry point."""
    raise_nofile()
    asyncio.run(run(parser().parse_args()))


if __name__ == "__main__":
    main()
