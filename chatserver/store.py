"""Store: every query and write the server makes, as the domain and the transports call them.

SQLite (storage.sqlite_store) is the one implementation; another database is another class
with these methods. Rows are plain dicts of column values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, Protocol, Sequence, TypeVar

Row = dict[str, Any]
T = TypeVar("T")
Key = tuple[int, int, str]  # a send's (room_id, sender_id, client_id)


class SearchTerm(NamedTuple):
    """One word or quoted phrase of a search, as typed; prefix: it ended in *."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class SearchFilter:
    """What a search's hits must also be: in this room, from this sender, of these message types."""

    room_id: int | None = None
    sender_id: int | None = None
    kinds: frozenset[str] = frozenset()


class EmailTaken(Exception):
    """A user with this e-mail address exists."""


class RoomNameTaken(Exception):
    """Another room has this name."""


class RoomGone(Exception):
    """The room was deleted meanwhile (e.g. by a request that ran between a check and a write)."""


class ChangeBatch(Protocol):
    """One transaction of room changes as the changes see it; it runs on the writer's side, never awaits."""

    now: str  # the commit time of every change of the batch
    next_id: int  # the next message id, after the batch
    seqs: dict[int, int]  # room id -> newest seq, for the rooms the batch changed
    names: dict[int, str]  # room id -> name, for the same rooms

    def next_seq(self, room_id: int) -> int | None:
        """The room's next seq, taken; None when the room is gone."""
    def room_name(self, room_id: int) -> str:
        """The name of a room this batch took a seq of."""
    def new_message_id(self) -> int:
        """The next message id, taken."""
    def existing_sends(self, keys: Sequence[Key]) -> dict[Key, Row]:
        """Messages already stored under these keys: room_id, sender_id, client_id, id, seq, frame (parsed)."""
    def memberships(self, pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
        """The (room_id, user_id) pairs among pairs where the user is a member of the room now."""
    def reply_target(self, message_id: int) -> Row | None:
        """A message being replied to: its room_id, and under "parent" what a reply shows of it."""
    def message_state(self, message_id: int) -> Row | None:
        """What the rules need of a message: id, room_id, sender_id, is_deleted, attachment."""
    def message_row(self, message_id: int) -> Row:
        """One message in history form, as this transaction sees it."""
    # row: id, room_id, sender_id, message_type, content, attachment, parent_id, client_id, seq, created_at
    def add_message(self, row: tuple[Any, ...], mentions: Sequence[int]) -> None:
        """A new message, and the ids of the users it mentions."""
    def log_event(self, room_id: int, seq: int, kind: str, message_id: int, frame: dict[str, Any]) -> bytes:
        """Add an event to the room's log; returns the frame as the log keeps it (JSON)."""
    def edit_content(self, message_id: int, content: str) -> None:
        """Replace a message's content and mark it edited."""
    def erase(self, message_id: int) -> None:
        """Delete a message, its content, attachment, reactions and mentions, in the log too."""
    def toggle_reaction(self, message_id: int, user_id: int, reaction: str) -> dict[str, int]:
        """Set the user's reaction (the same one again removes it); returns the counts after."""


class Store(Protocol):
    """The queries and the batched write of the server's storage."""

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
    async def write_changes(self, work: Callable[[ChangeBatch], T], next_id: int, known_seqs: dict[int, int],
                            known_names: dict[int, str]) -> tuple[T, ChangeBatch]:
        """work(batch) in one transaction (committed if it returns) and the batch, with the seqs it ended at."""
    async def check_writes(self) -> None:
        """An empty transaction: returns only when the database takes writes."""
    def not_taking_writes(self, exc: BaseException) -> bool:
        """Whether a failed write means the database cannot take writes now (locked, full), not a bug."""

    # users and their tokens
    async def create_user(self, *, email: str, password_hash: str, first_name: str, last_name: str = "",
                          role: str = "member", photo: str | None = None, year: str | None = None) -> Row:
        """Insert a user; the e-mail is stored lower-cased, unique by its email_key."""
    async def get_user(self, user_id: int) -> Row | None:
        """A user by id."""
    async def get_login(self, email: str) -> Row | None:
        """A user with the stored password hash, by e-mail in any case or width."""
    async def update_user(self, user_id: int, changes: dict[str, Any]) -> Row | None:
        """Change some of first_name, last_name, photo, year, role."""
    async def set_password(self, user_id: int, password_hash: str, revoke: bool = True,
                           keep_token: int | None = None) -> list[int]:
        """Store a new password hash and, with revoke, revoke every token but keep_token; returns the ids revoked."""
    async def list_users(self) -> list[Row]:
        """Every user, by id."""
    async def add_token(self, user_id: int, digest: str, prefix: str, address: str | None = None) -> int:
        """Store a new token's digest, issued to a client address; returns the token's id."""
    async def touch_tokens(self, token_ids: list[int], address: str | None = None) -> None:
        """Record that these tokens were used now (and from address, if known)."""
    async def user_by_token(self, digest: str) -> Row | None:
        """The user holding the token with this digest, with the token's id as token_id."""
    async def users_by_token_ids(self, token_ids: list[int]) -> list[Row]:
        """The users holding these tokens, each row with its token_id; revoked tokens have no row."""
    async def list_tokens(self, user_id: int) -> list[Row]:
        """A user's tokens (id, prefix, created_at, last_used_at, address), oldest first."""
    async def delete_tokens(self, user_id: int, token_ids: list[int] | None = None) -> list[int]:
        """Revoke some (or all) of a user's tokens; returns the ids revoked."""

    # rooms and membership
    async def missing_users(self, user_ids: Iterable[int]) -> list[int]:
        """The ids among user_ids that name no user."""
    async def create_room(self, *, name: str, description: str, owner_id: int, member_ids: Iterable[int] = ()) -> int:
        """Insert a room owned (and joined) by owner_id, with more members; returns its id."""
    async def room_for(self, room_id: int, user_id: int) -> Row | None:
        """A room as get_room gives it, plus is_member: whether user_id belongs to it."""
    async def get_room(self, room_id: int) -> Row | None:
        """A room with its owner's names and members_count."""
    async def room_by_name(self, name: str) -> Row | None:
        """A room by its name (any case, accents or width; the name as stored wins), as get_room."""
    async def list_rooms(self, q: str | None = None) -> list[Row]:
        """Active rooms, by id; with q, those whose name contains it."""
    async def user_rooms(self, user_id: int) -> list[Row]:
        """Rooms the user belongs to, with unread_count and last_message_id."""
    async def update_room(self, room_id: int, fields: dict[str, Any],
                          member_ids: Iterable[int] | None = None) -> list[int]:
        """Change name, description, avatar or owner, and with member_ids replace the members; returns those removed."""
    async def delete_room(self, room_id: int) -> list[str]:
        """Delete a room with its members, messages and events; returns its attachments' file names."""
    async def is_member(self, room_id: int, user_id: int) -> bool:
        """Whether the user belongs to the room."""
    async def add_member(self, room_id: int, user_id: int) -> bool:
        """Add a member; False if they already were one."""
    async def remove_member(self, room_id: int, user_id: int) -> tuple[int, bool]:
        """Remove a member unless they own the room: (owner id, whether they were a member), in one transaction."""
    async def transfer_owner(self, room_id: int, new_owner_id: int) -> bool:
        """Make a member the owner; False (and no change) for a non-member."""
    async def members(self, room_id: int, q: str | None = None) -> list[Row]:
        """A room's members, by name; with q, those whose first or last name (or both) contain it."""
    async def member_ids(self, room_id: int, user_ids: Iterable[int]) -> set[int]:
        """The ids among user_ids that are members of the room."""
    async def crowded_users(self, user_ids: Iterable[int], limit: int, room_id: int | None = None) -> list[int]:
        """The users among user_ids who are members of `limit` rooms or more, not counting room_id."""
    async def rooms_of_users(self, user_ids: list[int]) -> dict[int, set[int]]:
        """user id -> ids of the rooms that user is a member of (users of no room are left out)."""
    async def mark_read(self, room_id: int, user_id: int) -> None:
        """Move the member's read position to the room's newest message."""
    async def set_active(self, room_id: int, active: bool) -> None:
        """Open or close a room; an inactive room is hidden from everyone but site admins."""

    # messages and the event log
    async def history(self, room_id: int, before: int | None, limit: int) -> list[Row]:
        """Up to limit messages of the room older than message id `before`, newest first (keyset)."""
    async def history_around(self, room_id: int, message_id: int, limit: int) -> list[Row]:
        """Up to limit messages of the room centred on message_id (it included), newest first."""
    async def history_page(self, room_id: int, offset: int, limit: int) -> list[Row]:
        """One numbered page of the room's messages, newest first."""
    async def message_count(self, room_id: int) -> int:
        """How many messages the room holds."""
    async def get_message(self, message_id: int) -> Row | None:
        """One message in history form."""
    async def max_message_id(self) -> int:
        """The largest message id ever handed out (deleted ones included), 0 for none."""
    async def attachments_of(self, user_id: int) -> list[str]:
        """The stored file names of the user's messages that still have an attachment."""
    async def all_attachments(self) -> list[str]:
        """Every stored file name a message still refers to."""
    async def events_after(self, room_id: int, after_seq: int, limit: int) -> list[Row]:
        """The room's events with seq > after_seq, oldest first: seq, kind, message_id, frame."""
    async def room_seq(self, room_id: int) -> int:
        """The seq of the room's newest event."""
    async def last_messages(self, message_ids: Sequence[int]) -> dict[int, Row]:
        """Messages by id with their sender's names, for room lists."""

    # search
    async def search(self, user_id: int, terms: Sequence[SearchTerm], where: SearchFilter, before: int | None,
                     limit: int, relevance: bool = False) -> list[Row]:
        """Undeleted messages below id before matching every term, in user_id's rooms, newest first, with room_kind."""
    async def search_backfill(self, count: int) -> int:
        """Index up to count older messages not indexed yet; returns the id mark left (0: all indexed)."""
    async def search_backfill_left(self) -> int:
        """The id mark at and below which old messages are still to be indexed (0: all indexed)."""
