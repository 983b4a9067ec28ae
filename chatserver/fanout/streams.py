"""User streams kept in step with their users' rooms after a change commits."""

from __future__ import annotations

from typing import Iterable

from aiohttp import web

from ..keys import BUS, PUBLISHER, REGISTRY, STORE


async def rooms_changed(app: web.Application, user_ids: Iterable[int], *, always: bool = False) -> int:
    """Re-read the rooms of these users' streams; tell each whose rooms changed (or all, with always).

    Called after a membership change commits (join, leave, add, remove, create, delete) and,
    with always=True, after a change to how the rooms look (edit, new owner). Returns how many
    users were told.
    """
    registry = app[REGISTRY]
    async with registry.follow_lock:  # a read and its apply are not overtaken by an older read
        ids = sorted({user_id for user_id in user_ids if user_id in registry.streams})
        if not ids:
            return 0
        following = await app[STORE].rooms_of_users(ids)
        told = 0
        for user_id in ids:
            if registry.follow(user_id, following.get(user_id, ())) or always:
                told += bool(registry.tell(user_id, {"action": "rooms_changed"}))
        return told


class ServerFanOut:
    """What a membership change does to this server: the publisher's cached room, sockets, user streams."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def followers(self, room_id: int) -> set[int]:
        """The users whose streams follow a room now (before a change to it)."""
        return set(self.app[REGISTRY].followers.get(room_id, ()))

    def forget_room(self, room_id: int) -> None:
        """The room was renamed or deleted: the publisher reads it afresh."""
        self.app[PUBLISHER].forget_room(room_id)

    def close_member(self, room_id: int, user_id: int) -> None:
        """Close a removed member's sockets in the room (4003)."""
        self.app[BUS].close_member(room_id, user_id)

    def close_room(self, room_id: int) -> None:
        """Close every socket of a deleted room (4004)."""
        self.app[BUS].close_room(room_id)

    async def rooms_changed(self, user_ids: Iterable[int], always: bool = False) -> None:
        """Tell these users' streams (see rooms_changed)."""
        await rooms_changed(self.app, user_ids, always=always)
