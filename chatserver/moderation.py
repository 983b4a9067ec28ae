"""Moderators and bans: each change's checks, its storage call and its follow-ups, once for every caller."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from . import rules
from .config import Config
from .errors import ChatError
from .membership import FanOut, Membership
from .room_changes import Change
from .store import Row, Store


class Writer(Protocol):
    """The server's publisher, as a ban's deletions use it."""

    def enqueue(self, change: Change) -> asyncio.Future[Any]: ...


class Moderation(Membership):
    """Make and unmake moderators, ban and unban; the caller's right to act is the transport's to check.

    publisher: the server's, for a ban's deletions (None in an admin command: no deletions there)."""

    def __init__(self, store: Store, config: Config, fanout: FanOut | None = None,
                 publisher: Writer | None = None) -> None:
        super().__init__(store, config, fanout)
        self.publisher = publisher

    async def set_moderator(self, room: Row, actor: Row, user_id: int, moderator: bool) -> None:
        """Make a member (not the owner) a moderator of the room, or take it back; the same again changes nothing."""
        before = await self.store.set_moderator(room["id"], user_id, moderator, actor["id"])
        rules.check_role_change(before, user_id)
        if bool(before["moderator"]) != moderator:
            await self._tell([user_id], always=True)  # their client shows what a moderator may do

    async def ban(self, room: Row, actor: Row, user_id: int, reason: str, delete_messages: bool = False) -> int:
        """Ban a user from the room (removing them: their sockets in it close, 4003); never its owner.
        With delete_messages, each of their messages in the room is deleted as actor's deletion;
        returns how many."""
        rules.check_users_exist([] if await self.store.get_user(user_id) else [user_id], "user_id")
        spared = rules.spares_moderators(room, actor)
        before = await self.store.ban(room["id"], user_id, actor["id"], reason, spared)
        rules.check_ban(before, user_id, spared)  # nothing was written if this refuses
        if before["is_member"]:
            if self.fanout is not None:
                self.fanout.close_member(room["id"], user_id)
            await self._tell([user_id])
        return await self.delete_messages(room, actor, user_id) if delete_messages else 0

    async def delete_messages(self, room: Row, actor: Row, user_id: int) -> int:
        """Delete every live message of a user in the room, each a deletion of its own (seq, frame, file);
        returns how many were deleted."""
        if self.publisher is None:
            raise ChatError("unavailable", "Messages are deleted only by the running server.", status=503)
        ids = await self.store.live_message_ids(room["id"], user_id)
        queued = [self.publisher.enqueue(Change("delete", room, actor, {"message_id": message_id}, moderating=True))
                  for message_id in ids]
        outcomes = await asyncio.gather(*queued, return_exceptions=True)
        return sum(not isinstance(outcome, BaseException) for outcome in outcomes)

    async def unban(self, room: Row, actor: Row, user_id: int) -> None:
        """Lift a ban: the user may join or be added again."""
        if not await self.store.unban(room["id"], user_id, actor["id"]):
            raise ChatError("not_banned", "That user is not banned from this room.", status=404)
