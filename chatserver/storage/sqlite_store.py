"""The Store on SQLite: each method runs a query of messages, rooms or users on the server's Database."""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Iterable, Sequence, TypeVar

from . import audit, batch, direct, invites, members, messages, moderation, mutes, rooms, search, suspensions, users
from .db import Database, Row, not_taking_writes
from ..store import SearchFilter, SearchTerm

T = TypeVar("T")


class SqliteStore:
    """The Store (chatserver.store) on one SQLite Database, which it does not open or close."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ping(self) -> bool:
        return await self.db.ping()

    async def write_changes(self, work: Callable[[batch.SqliteBatch], T], next_id: int,
                            known_seqs: dict[int, int], known_names: dict[int, str]) -> tuple[T, batch.SqliteBatch]:
        return await self.db.write(batch.run, work, next_id, known_seqs, known_names)

    async def check_writes(self) -> None:
        await self.db.write(_nothing)

    def not_taking_writes(self, exc: BaseException) -> bool:
        return not_taking_writes(exc)

    # users and their tokens
    async def create_user(self, *, email: str, password_hash: str, first_name: str, last_name: str = "",
                          role: str = "member", photo: str | None = None, year: str | None = None) -> Row:
        return await users.create_user(self.db, email=email, password_hash=password_hash, first_name=first_name,
                                       last_name=last_name, role=role, photo=photo, year=year)
    async def get_user(self, user_id: int) -> Row | None:
        return await users.get_user(self.db, user_id)
    async def get_login(self, email: str) -> Row | None:
        return await users.get_login(self.db, email)
    async def update_user(self, user_id: int, changes: dict[str, Any]) -> Row | None:
        return await users.update_user(self.db, user_id, changes)
    async def set_password(self, user_id: int, password_hash: str, revoke: bool = True,
                           keep_token: int | None = None) -> list[int]:
        return await users.set_password(self.db, user_id, password_hash, revoke, keep_token)
    async def list_users(self) -> list[Row]:
        return await users.list_users(self.db)
    async def add_token(self, user_id: int, digest: str, prefix: str, address: str | None = None) -> int:
        return await users.add_token(self.db, user_id, digest, prefix, address)
    async def touch_tokens(self, token_ids: list[int], address: str | None = None) -> None:
        return await users.touch_tokens(self.db, token_ids, address)
    async def user_by_token(self, digest: str) -> Row | None:
        return await users.user_by_token(self.db, digest)
    async def users_by_token_ids(self, token_ids: list[int]) -> list[Row]:
        return await users.users_by_token_ids(self.db, token_ids)
    async def list_tokens(self, user_id: int) -> list[Row]:
        return await users.list_tokens(self.db, user_id)
    async def delete_tokens(self, user_id: int, token_ids: list[int] | None = None) -> list[int]:
        return await users.delete_tokens(self.db, user_id, token_ids)

    async def set_suspended(self, user_id: int, actor_id: int | None, suspended: bool,
                            reason: str = "") -> tuple[bool, list[int]]:
        return await suspensions.set_suspended(self.db, user_id, actor_id, suspended, reason)

    # rooms and membership
    async def missing_users(self, user_ids: Iterable[int]) -> list[int]:
        return await users.missing_users(self.db, user_ids)
    async def create_room(self, *, name: str, description: str, owner_id: int,
                          member_ids: Iterable[int] = (), kind: str = "public") -> int:
        return await rooms.create_room(self.db, name=name, description=description, owner_id=owner_id,
                                       member_ids=member_ids, kind=kind)
    async def room_for(self, room_id: int, user_id: int) -> Row | None:
        return await rooms.room_for(self.db, room_id, user_id)
    async def get_room(self, room_id: int) -> Row | None:
        return await rooms.get_room(self.db, room_id)
    async def room_by_name(self, name: str) -> Row | None:
        return await rooms.room_by_name(self.db, name)
    async def list_rooms(self, q: str | None = None, user_id: int | None = None,
                         every_private: bool = False) -> list[Row]:
        return await rooms.list_rooms(self.db, q, user_id, every_private)
    async def user_rooms(self, user_id: int) -> list[Row]:
        return await rooms.user_rooms(self.db, user_id)
    async def update_room(self, room_id: int, fields: dict[str, Any], member_ids: Iterable[int] | None = None,
                          actor_id: int | None = None) -> list[int]:
        return await rooms.update_room(self.db, room_id, fields, member_ids, actor_id)
    async def delete_room(self, room_id: int) -> list[str]:
        return await rooms.delete_room(self.db, room_id)
    async def is_member(self, room_id: int, user_id: int) -> bool:
        return await members.is_member(self.db, room_id, user_id)
    async def add_member(self, room_id: int, user_id: int) -> bool:
        return await members.add_member(self.db, room_id, user_id)
    async def remove_member(self, room_id: int, user_id: int, actor_id: int | None = None,
                            spare_moderators: bool = False) -> Row:
        return await members.remove_member(self.db, room_id, user_id, actor_id, spare_moderators)
    async def transfer_owner(self, room_id: int, new_owner_id: int, actor_id: int | None = None) -> bool:
        return await members.transfer_owner(self.db, room_id, new_owner_id, actor_id)
    async def members(self, room_id: int, q: str | None = None) -> list[Row]:
        return await members.members(self.db, room_id, q)
    async def member_ids(self, room_id: int, user_ids: Iterable[int]) -> set[int]:
        return await members.member_ids(self.db, room_id, user_ids)
    async def crowded_users(self, user_ids: Iterable[int], limit: int, room_id: int | None = None) -> list[int]:
        return await members.crowded_users(self.db, user_ids, limit, room_id)
    async def rooms_of_users(self, user_ids: list[int]) -> dict[int, set[int]]:
        return await members.rooms_of_users(self.db, user_ids)
    async def mark_read(self, room_id: int, user_id: int) -> None:
        return await members.mark_read(self.db, room_id, user_id)
    async def set_active(self, room_id: int, active: bool) -> None:
        return await rooms.set_active(self.db, room_id, active)
    async def mute(self, room_id: int, user_id: int, actor_id: int, until: str | None, reason: str) -> Row:
        return await mutes.mute(self.db, room_id, user_id, actor_id, until, reason)
    async def unmute(self, room_id: int, user_id: int, actor_id: int, reason: str = "") -> bool:
        return await mutes.unmute(self.db, room_id, user_id, actor_id, reason)
    async def mutes(self, room_id: int, user_id: int | None = None) -> list[Row]:
        return await mutes.mutes(self.db, room_id, user_id)

    # direct rooms and blocks
    async def open_direct(self, user_id: int, other_id: int, name: str) -> tuple[int, bool]:
        return await direct.open_room(self.db, user_id, other_id, name)
    async def direct_room_of(self, user_id: int, other_id: int) -> int | None:
        return await direct.room_of(self.db, user_id, other_id)
    async def with_direct_users(self, rows: list[Row], viewer_id: int) -> list[Row]:
        return await direct.with_people(self.db, rows, viewer_id)
    async def block_user(self, user_id: int, blocked_id: int) -> bool:
        return await direct.block(self.db, user_id, blocked_id)
    async def unblock_user(self, user_id: int, blocked_id: int) -> bool:
        return await direct.unblock(self.db, user_id, blocked_id)
    async def blocks_of(self, user_id: int) -> list[Row]:
        return await direct.blocked_by(self.db, user_id)

    # invites
    async def create_invite(self, room_id: int, creator_id: int, code: str, expires_in: int | None,
                            max_uses: int | None, limit: int) -> Row:
        return await invites.create(self.db, room_id, creator_id, code, expires_in, max_uses, limit)
    async def live_invites(self, room_id: int) -> list[Row]:
        return await invites.live(self.db, room_id)
    async def revoke_invite(self, room_id: int, code: str, actor_id: int) -> bool:
        return await invites.revoke(self.db, room_id, code, actor_id)
    async def accept_invite(self, code: str, user_id: int, room_limit: int) -> tuple[str, int | None]:
        return await invites.accept(self.db, code, user_id, room_limit)

    # moderation
    async def set_moderator(self, room_id: int, user_id: int, moderator: bool, actor_id: int) -> Row:
        return await moderation.set_moderator(self.db, room_id, user_id, moderator, actor_id)
    async def ban(self, room_id: int, user_id: int, actor_id: int, reason: str, spare_moderators: bool) -> Row:
        return await moderation.ban(self.db, room_id, user_id, actor_id, reason, spare_moderators)
    async def unban(self, room_id: int, user_id: int, actor_id: int) -> bool:
        return await moderation.unban(self.db, room_id, user_id, actor_id)
    async def bans(self, room_id: int) -> list[Row]:
        return await moderation.bans(self.db, room_id)
    async def audit_entries(self, after_id: int = 0, room_id: int | None = None, limit: int = 100) -> list[Row]:
        return await audit.entries(self.db, after_id, room_id, limit)

    # messages and the event log
    async def history(self, room_id: int, before: int | None, limit: int) -> list[Row]:
        return await messages.history(self.db, room_id, before, limit)
    async def history_around(self, room_id: int, message_id: int, limit: int) -> list[Row]:
        return await messages.around(self.db, room_id, message_id, limit)
    async def history_page(self, room_id: int, offset: int, limit: int) -> list[Row]:
        return await messages.page(self.db, room_id, offset, limit)
    async def message_count(self, room_id: int) -> int:
        return await messages.count(self.db, room_id)
    async def get_message(self, message_id: int) -> Row | None:
        return await messages.get_message(self.db, message_id)
    async def max_message_id(self) -> int:
        return await messages.max_message_id(self.db)
    async def attachments_of(self, user_id: int) -> list[str]:
        return await messages.attachments_of(self.db, user_id)
    async def live_message_ids(self, room_id: int, sender_id: int) -> list[int]:
        return await messages.live_ids_of(self.db, room_id, sender_id)
    async def all_attachments(self) -> list[str]:
        return await messages.all_attachments(self.db)
    async def events_after(self, room_id: int, after_seq: int, limit: int) -> list[Row]:
        return await messages.events_after(self.db, room_id, after_seq, limit)
    async def room_seq(self, room_id: int) -> int:
        return await messages.room_seq(self.db, room_id)
    async def last_messages(self, message_ids: Sequence[int]) -> dict[int, Row]:
        return await messages.last_messages(self.db, message_ids)
    async def pinned(self, room_id: int) -> list[Row]:
        return await messages.pinned(self.db, room_id)
    async def live_messages_of(self, user_id: int) -> list[Row]:
        return await messages.live_messages_of(self.db, user_id)

    # search
    async def search(self, user_id: int, terms: Sequence[SearchTerm], where: SearchFilter, before: int | None,
                     limit: int, ranked: int = 0) -> list[Row]:
        return await search.search(self.db, user_id, terms, where, before, limit, ranked)
    async def search_backfill(self, count: int) -> int:
        return await search.backfill_step(self.db, count)
    async def search_backfill_left(self) -> int:
        return await search.backfill_left(self.db)


def _nothing(conn: sqlite3.Connection) -> None:
    """An empty transaction: it commits only when the database takes writes."""
