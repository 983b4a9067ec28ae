"""What a hostile client does to a live server, one attack at a time, bounded in count and time.

Each attack runs until `stop` is set or it has made `MAX_REQUESTS` attempts, against loopback
only, and counts its outcomes (HTTP status, "closed", "error") in `tally`.
"""

import argparse
import asyncio
import itertools
import json
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp
import orjson

from bench.provision import Member

MAX_REQUESTS = 100_000
# The attacker's own loopback address: the server's per-address defences tell it from the members
# (127.0.0.1), as they would tell a stranger from a club's members on the internet.
ADDRESS = "127.0.0.2"
BOUNDARY = "hostilebenchboundary"


@dataclass(frozen=True)
class Arena:
    """Where the attacker stands: its account, a room of its own, and a victim's e-mail."""

    http: str
    ws: str
    attacker: Member
    room_id: int
    deep_room_id: int
    deep_page: int
    victim_email: str


Attack = Callable[[aiohttp.ClientSession, Arena, asyncio.Event, Counter], Awaitable[None]]


def _auth(member: Member) -> dict[str, str]:
    return {"Authorization": f"Token {member.token}"}


async def _repeat(stop: asyncio.Event, workers: int, one: Callable[[], Awaitable[str]], tally: Counter) -> None:
    """Run `one` in `workers` loops until stop (or MAX_REQUESTS attempts), counting outcomes."""
    attempts = itertools.count()

    async def loop() -> None:
        while not stop.is_set() and next(attempts) < MAX_REQUESTS:
            try:
                tally[await one()] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                tally["failed"] += 1
                await asyncio.sleep(0.01)  # a refused connection must not spin this loop

    await asyncio.gather(*(loop() for _ in range(workers)))


async def _request(session: aiohttp.ClientSession, method: str, url: str, **kwargs: object) -> str:
    async with session.request(method, url, **kwargs) as resp:
        await resp.read()
        return str(resp.status)


async def invalid_members(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """~1 MiB create-group bodies with 200,000 members of the wrong type, 4 at a time."""
    body = orjson.dumps({"name": "flood", "members": ["x"] * 200_000})
    url = f"{arena.http}/api/chat/create-group/"
    headers = {**_auth(arena.attacker), "Content-Type": "application/json"}
    await _repeat(stop, 4, lambda: _request(session, "POST", url, data=body, headers=headers), tally)


async def login_fields(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """~1 MiB login bodies with 90,000 unknown fields, 4 at a time."""
    fields = {f"f{i}": 0 for i in range(90_000)}
    body = orjson.dumps({"email": arena.victim_email, "password": "wrong", **fields})
    url = f"{arena.http}/api/user/login/"
    headers = {"Content-Type": "application/json"}
    await _repeat(stop, 4, lambda: _request(session, "POST", url, data=body, headers=headers), tally)


def _multipart(parts: list[tuple[str, bytes, str | None]]) -> bytes:
    chunks = []
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


async def multipart_parts(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """~6 MB uploads made of 100,000 tiny form parts, 2 at a time."""
    body = _multipart([("content", b"x" * 8, None)] * 100_000 + [("attachment", b"GIF89a", "a.gif")])
    url = f"{arena.http}/api/chat/groups/{arena.room_id}/messages/upload/"
    headers = {**_auth(arena.attacker), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    await _repeat(stop, 2, lambda: _request(session, "POST", url, data=body, headers=headers), tally)


async def upload_flood(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """Small valid uploads as fast as four loops can send them."""
    body = _multipart([("attachment", b"GIF89a" + b"\0" * 10_000, "a.gif"), ("content", b"flood", None)])
    url = f"{arena.http}/api/chat/groups/{arena.room_id}/messages/upload/"
    headers = {**_auth(arena.attacker), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    await _repeat(stop, 4, lambda: _request(session, "POST", url, data=body, headers=headers), tally)


async def password_guesses(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """Wrong passwords for a member's e-mail, 40 in flight."""
    url = f"{arena.http}/api/user/login/"
    guesses = itertools.count()

    def one() -> Awaitable[str]:
        body = {"email": arena.victim_email, "password": f"guess-{next(guesses)}"}
        return _request(session, "POST", url, json=body)

    await _repeat(stop, 40, one, tally)


async def registrations(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """New accounts as fast as eight loops can ask for them (each costs a password hash)."""
    url = f"{arena.http}/api/user/register/"
    numbers = itertools.count()

    def one() -> Awaitable[str]:
        body = {"email": f"flood{next(numbers)}@hostile.example", "password": "flood-password-1",
                "first_name": "Flood"}
        return _request(session, "POST", url, json=body)

    await _repeat(stop, 8, one, tally)


async def room_list(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """The joined-rooms list of a user in thousands of rooms, 4 at a time."""
    url = f"{arena.http}/api/chat/groups/"
    await _repeat(stop, 4, lambda: _request(session, "GET", url, headers=_auth(arena.attacker)), tally)


async def deep_page(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """The oldest page of a long room's page-numbered history, 4 at a time."""
    url = (f"{arena.http}/api/chat/groups/{arena.deep_room_id}/messages/"
           f"?page={arena.deep_page}&page_size=20")
    await _repeat(stop, 4, lambda: _request(session, "GET", url, headers=_auth(arena.attacker)), tally)


async def slow_connections(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """250 connections that send half a request and then a byte a second."""
    host, port = arena.http.removeprefix("http://").split(":")

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port), local_addr=(ADDRESS, 0))
        except OSError:
            tally["refused"] += 1
            return
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")
            while not stop.is_set():
                writer.write(b"X")
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                        tally["closed_by_server"] += 1
                        return
                    tally["answered"] += 1
                    return
                except asyncio.TimeoutError:
                    continue
            tally["still_open"] += 1
        except ConnectionError:
            tally["closed_by_server"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(250)))


async def _sockets(session: aiohttp.ClientSession, arena: Arena, count: int) -> list[aiohttp.ClientWebSocketResponse]:
    url = f"{arena.ws}/ws/chat/{arena.room_id}/?token={arena.attacker.token}"
    opened = await asyncio.gather(*(session.ws_connect(url, max_msg_size=0) for _ in range(count)),
                                  return_exceptions=True)
    return [ws for ws in opened if isinstance(ws, aiohttp.ClientWebSocketResponse)]


async def _flood_frames(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter,
                        count: int, frame: Callable[[int], str]) -> None:
    sockets = await _sockets(session, arena, count)
    tally["sockets"] = len(sockets)

    async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                tally["frames_received"] += 1
        tally[f"closed_{ws.close_code}"] += 1

    async def send(ws: aiohttp.ClientWebSocketResponse) -> None:
        for n in range(MAX_REQUESTS):
            if stop.is_set() or ws.closed:
                return
            try:
                await ws.send_str(frame(n))
            except ConnectionError:
                return
            tally["frames_sent"] += 1
            if n % 64 == 63:
                await asyncio.sleep(0)  # let the readers run

    readers = [asyncio.create_task(drain(ws)) for ws in sockets]
    await asyncio.gather(*(send(ws) for ws in sockets))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)


async def invalid_frames(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """Four sockets sending frames that are not JSON, as fast as they can."""
    await _flood_frames(session, arena, stop, tally, 4, lambda n: "not json")


async def typing_frames(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """Four sockets sending typing frames as fast as they can."""
    await _flood_frames(session, arena, stop, tally, 4, lambda n: '{"action":"typing"}')


async def many_sockets(session: aiohttp.ClientSession, arena: Arena, stop: asyncio.Event, tally: Counter) -> None:
    """Nineteen sockets of one user sending messages as fast as they can."""
    await _flood_frames(session, arena, stop, tally, 19,
                        lambda n: orjson.dumps({"action": "send_message", "message": f"flood {n}"}).decode())


ATTACKS: dict[str, Attack] = {
    "invalid_members": invalid_members,
    "login_fields": login_fields,
    "multipart_parts": multipart_parts,
    "slow_connections": slow_connections,
    "invalid_frames": invalid_frames,
    "typing_frames": typing_frames,
    "many_sockets": many_sockets,
    "upload_flood": upload_flood,
    "room_list": room_list,
    "deep_page": deep_page,
    "password_guesses": password_guesses,
    "registrations": registrations,
}


async def attack_main(name: str, arena: Arena) -> dict[str, int]:
    """Run one attack until a line arrives on stdin; return its tally."""
    stop, tally = asyncio.Event(), Counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=(ADDRESS, 0))) as session:
        task = asyncio.create_task(ATTACKS[name](session, arena, stop, tally))
        print("started", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        stop.set()
        try:
            await asyncio.wait_for(task, 30)
        except asyncio.TimeoutError:
            tally["unfinished"] += 1
    return dict(tally)


def main() -> None:
    """`python -m bench.attacks NAME ARENA_JSON`: attack until told to stop, print the tally."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=sorted(ATTACKS))
    parser.add_argument("arena", help="the Arena as JSON")
    args = parser.parse_args()
    raw = json.loads(args.arena)
    arena = Arena(**{**raw, "attacker": Member(**raw["attacker"])})
    print(json.dumps(asyncio.run(attack_main(args.name, arena))), flush=True)


if __name__ == "__main__":
    main()
