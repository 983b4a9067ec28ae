"""Rooms and their members: each change's checks, its storage call and its follow-ups, once for every caller."""

from __future__ import annotations

from typing import Any, Iterable, Protocol

from . import media, rules
from .config import Config
from .errors import invalid
from .store import Banned, Blocked, RoomNameTaken, Row, Store

NAME_TAKEN = {"name": ["A room with this name already exists."]}


class FanOut(Protocol):
    """The running server's side of a change: its caches, its sockets and its users' streams."""

    def followers(self, room_id: int) -> set[int]: ...
    def forget_room(self, room_id: int) -> None: ...
    def close_member(self, room_id: int, user_id: int) -> None: ...
    def close_room(self, room_id: int) -> None: ...
    async def rooms_changed(self, user_ids: Iterable[int], always: bool = False) -> None: ...


class Membership:
    """Create, edit and delete rooms; join, leave, add, remove and transfer ownership.

    The caller's right to act (owner or site admin) is the transport's to check; without a
    fan-out (an admin command, in another process) the server catches up on its periodic recheck.
    """

    def __init__(self, store: Store, config: Config, fanout: FanOut | None = None) -> None:
        self.store = store
        self.config = config
        self.fanout = fanout

    async def create(self, owner_id: int, name: str, description: str, member_ids: list[int],
                     kind: str = "public") -> int:
        """A new room (public or private) owned (and joined) by owner_id, with more members; returns its id."""
        rules.check_users_exist(await self.store.missing_users(member_ids), "members")
        await self._check_room_counts([owner_id, *member_ids], "members")
        try:
            room_id = await self.store.create_room(name=name, description=description,
                                                   owner_id=owner_id, member_ids=member_ids, kind=kind)
        except RoomNameTaken:
            raise invalid(NAME_TAKEN) from None
        await self._tell([owner_id, *member_ids])
        return room_id

    async def edit(self, room_id: int, fields: dict[str, Any], member_ids: list[int] | None,
                   actor_id: int | None = None) -> None:
        """Change a room's name, description, avatar, kind, read_only or (with member_ids) its members (never
        adding a banned user); removed members' sockets close; actor_id's changes are audited."""
        told = self._followers(room_id)
        if member_ids is not None:
            rules.check_users_exist(await self.store.missing_users(member_ids), "members")
            await self._check_room_counts(member_ids, "members", room_id)
        try:
            removed = await self.store.update_room(room_id, fields, member_ids, actor_id)
        except RoomNameTaken:
            raise invalid(NAME_TAKEN) from None
        except Banned as exc:
            rules.check_not_banned(exc.args[0])
        if self.fanout is not None:
            self.fanout.forget_room(room_id)  # new messages carry the new name
            for user_id in removed:
                self.fanout.close_member(room_id, user_id)
        await self._tell(told | set(member_ids or ()), always=True)

    async def delete(self, room_id: int) -> None:
        """Delete a room with everything in it, its attachments' files too; its sockets close (4004)."""
        told = self._followers(room_id)
        files = await self.store.delete_room(room_id)
        if self.fanout is not None:
            self.fanout.forget_room(room_id)
        await media.remove(self.config, files)
        if self.fanout is not None:
            self.fanout.close_room(room_id)
        await self._tell(told)

    async def join(self, room: Row, user: Row) -> None:
        """The user joins a room (a row with is_member, as they see it): a public one, or any as a site admin."""
        rules.check_join(bool(room["is_member"]))
        rules.check_joinable(room, user)
        await self._added(room["id"], user["id"])

    async def add(self, room_id: int, user_id: int) -> Row:
        """Add a user to a room; returns the user."""
        member = await self.store.get_user(user_id)
        rules.check_users_exist([] if member else [user_id], "user_id")
        rules.check_join(await self.store.is_member(room_id, user_id))
        await self._added(room_id, user_id)
        return member

    async def remove(self, room_id: int, user_id: int, absent_status: int = 400, actor_id: int | None = None,
                     spare_moderators: bool = False) -> None:
        """A member leaves or is removed by actor_id (never the owner, nor a moderator with
        spare_moderators); their sockets in the room close (4003)."""
        seen = await self.store.remove_member(room_id, user_id, actor_id, spare_moderators)
        # nothing was removed if these refuse
        rules.check_leave(seen["owner_id"], user_id, bool(seen["is_member"]), absent_status)
        rules.check_spared(bool(seen["moderator"]), spare_moderators)
        if self.fanout is not None:
            self.fanout.close_member(room_id, user_id)
        await self._tell([user_id])

    async def transfer(self, room_id: int, new_owner_id: int, actor_id: int | None = None) -> None:
        """Make another member the owner (actor_id: who did, for the audit log)."""
        rules.check_new_owner(await self.store.transfer_owner(room_id, new_owner_id, actor_id))
        await self._tell(self._followers(room_id), always=True)

    async def open_direct(self, user: Row, other_id: int) -> tuple[int, bool]:
        """The direct room of user and another, created unless it exists, never across a block: (id, created)."""
        rules.check_direct_partner(user["id"], other_id)
        other = await self.store.get_user(other_id)
        rules.check_users_exist([] if other else [other_id], "user_id")
        existing = await self.store.direct_room_of(user["id"], other_id)
        await self._check_room_counts([user["id"], other_id], "user_id", existing)
        try:
            room_id, created = await self.store.open_direct(user["id"], other_id, f"{_full(user)} & {_full(other)}")
        except Blocked:
            rules.check_not_blocked(True)
            raise
        if created:
            await self._tell([user["id"], other_id])
        return room_id, created

    async def accept_invite(self, code: str, user_id: int) -> tuple[int, bool]:
        """Join the room of a live invite, counting a use; returns (room id, whether the user joined now)."""
        limit = self.config.max_rooms_per_user
        outcome, room_id = await self.store.accept_invite(code, user_id, limit)
        rules.check_invite_use(outcome, limit)
        assert room_id is not None
        if outcome == "joined":
            await self._tell([user_id])
        return room_id, outcome == "joined"

    async def _added(self, room_id: int, user_id: int) -> None:
        await self._check_room_counts([user_id], "user_id", room_id)
        try:
            await self.store.add_member(room_id, user_id)
        except Banned as exc:
            rules.check_not_banned(exc.args[0])
        await self._tell([user_id])

    async def _check_room_counts(self, user_ids: Iterable[int], field: str, room_id: int | None = None) -> None:
        limit = self.config.max_rooms_per_user
        if limit:
            rules.check_room_counts(await self.store.crowded_users(user_ids, limit, room_id), limit, field)

    def _followers(self, room_id: int) -> set[int]:
        return self.fanout.followers(room_id) if self.fanout is not None else set()

    async def _tell(self, user_ids: Iterable[int], always: bool = False) -> None:
        if self.fanout is not None:
            await self.fanout.rooms_changed(user_ids, always)


def _full(user: Row) -> str:
    return f"{user['first_name']} {user['last_name']}".strip()
