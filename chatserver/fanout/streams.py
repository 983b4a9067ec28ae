"""User streams kept in step with their users' rooms after a change commits."""

from __future__ import annotations

from typing import Iterable

from aiohttp import web

from ..keys import DB, REGISTRY
from ..storage import rooms


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
        following = await rooms.rooms_of_users(app[DB], ids)
        told = 0
        for user_id in ids:
            if registry.follow(user_id, following.get(user_id, ())) or always:
                told += bool(registry.tell(user_id, {"action": "rooms_changed"}))
        return told


def followers(app: web.Application, room_id: int) -> set[int]:
    """The users whose streams follow a room now (before a change to it)."""
    return set(app[REGISTRY].followers.get(room_id, ()))
