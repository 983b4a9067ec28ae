"""Create bench users and rooms through chatserver's public REST API."""

import asyncio
from dataclasses import dataclass

import aiohttp

PASSWORD = "bench-password-1"
CONCURRENCY = 16


@dataclass(frozen=True)
class Member:
    """A user the generator connects as."""

    user_id: int
    token: str


class ProvisionError(RuntimeError):
    """The server refused a provisioning request."""


async def post(session: aiohttp.ClientSession, url: str, body: object, token: str = "") -> dict:
    """POST JSON, expect 201, return the JSON answer."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    async with session.post(url, json=body, headers=headers) as resp:
        answer = await resp.json(content_type=None)
        if resp.status != 201:
            raise ProvisionError(f"POST {url} -> {resp.status} {answer}")
        return dict(answer)


async def register(session: aiohttp.ClientSession, base: str, count: int, tag: str) -> list[Member]:
    """Register `count` users and return them with their tokens."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> Member:
        body = {"email": f"{tag}{i}@bench.example", "password": PASSWORD, "first_name": f"B{i}"}
        async with gate:
            answer = await post(session, f"{base}/api/user/register/", body)
        return Member(int(answer["user"]["id"]), str(answer["token"]))

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def create_room(
    session: aiohttp.ClientSession, base: str, name: str, owner: Member, members: list[Member]
) -> int:
    """Create a room owned by `owner` with every one of `members` in it; return its id."""
    body = {
        "name": name,
        "description": "bench",
        "members": [m.user_id for m in members if m != owner],
    }
    answer = await post(session, f"{base}/api/chat/create-group/", body, owner.token)
    return int(answer["room"]["id"])


def fake_members(count: int) -> list[Member]:
    """Members for the ceiling relay, which ignores auth."""
    return [Member(i + 1, "ceiling") for i in range(count)]
