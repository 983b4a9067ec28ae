"""Moderators and bans: each change's checks, its storage call and its follow-ups, once for every caller."""

from __future__ import annotations

from . import rules
from .errors import ChatError
from .membership import Membership
from .store import Row


class Moderation(Membership):
    """Make and unmake moderators, ban and unban; the caller's right to act is the transport's to check."""

    async def set_moderator(self, room: Row, actor: Row, user_id: int, moderator: bool) -> None:
        """Make a member (not the owner) a moderator of the room, or take it back; the same again changes nothing."""
        before = await self.store.set_moderator(room["id"], user_id, moderator, actor["id"])
        rules.check_role_change(before, user_id)
        if bool(before["moderator"]) != moderator:
            await self._tell([user_id], always=True)  # their client shows what a moderator may do

    async def ban(self, room: Row, actor: Row, user_id: int, reason: str) -> None:
        """Ban a user from the room (removing them: their sockets in it close, 4003); never its owner."""
        rules.check_users_exist([] if await self.store.get_user(user_id) else [user_id], "user_id")
        spared = rules.spares_moderators(room, actor)
        before = await self.store.ban(room["id"], user_id, actor["id"], reason, spared)
        rules.check_ban(before, user_id, spared)  # nothing was written if this refuses
        if before["is_member"]:
            if self.fanout is not None:
                self.fanout.close_member(room["id"], user_id)
            await self._tell([user_id])

    async def unban(self, room: Row, actor: Row, user_id: int) -> None:
        """Lift a ban: the user may join or be added again."""
        if not await self.store.unban(room["id"], user_id, actor["id"]):
            raise ChatError("not_banned", "That user is not banned from this room.", status=404)
