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


class Blocked(Exception):
    """A block stands between two users (either way)."""


class Banned(Exception):
    """The users (args[0], a list of ids) are banned from the room: they cannot be made members."""


class TooManyInvites(Exception):
    """The room already has as many live invites as it may."""


class NoSuchUser(Exception):
    """No user has this id."""


class NotAMember(Exception):
    """The user is not a member of the room (or the room is gone)."""


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
    def memberships(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Row]:
        """The (room_id, user_id) pairs among pairs where the user is a member of the room now, each with
        their standing in it: moderator, and the room's owner_id and read_only."""
    def muted(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str | None]:
        """(room_id, user_id) -> until (None: until lifted), for the pairs among pairs muted now."""
    def blocked_rooms(self, room_ids: Sequence[int]) -> set[int]:
        """The rooms among room_ids where one member blocks another."""
    def reply_target(self, message_id: int) -> Row | None:
        """A message being replied to: its room_id, and under "parent" what a reply shows of it."""
    def message_state(self, message_id: int) -> Row | None:
        """What the rules need of a message: id, room_id, sender_id, is_deleted, attachment, pinned_at."""
    def message_row(self, message_id: int) -> Row:
        """One message in history form, as this transaction sees it."""
    # row: id, room_id, sender_id, message_type, content, attachment, parent_id, client_id, seq, created_at
    def add_message(self, row: tuple[Any, ...], mentions: Sequence[int]) -> None:
        """A new message, and the ids of the users it mentions."""
    def log_event(self, room_id: int, seq: int, kind: str, message_id: int, frame: dict[str, Any]) -> bytes:
        """Add an event to the room's log; returns the frame as the log keeps it (JSON)."""
    def edit_content(self, message_id: int, content: str) -> None:
        """Replace a message's content and mark it edited."""
    def erase(self, message_id: int, deleted_by: int) -> None:
        """Delete a message, its content, attachment, reactions and mentions, in the log too; deleted_by did."""
    def record(self, actor_id: int, action: str, *, room_id: int, target_id: int, message_id: int) -> None:
        """One row of the audit log (an action of storage.audit.ACTIONS), in this transaction."""
    def toggle_reaction(self, message_id: int, user_id: int, reaction: str) -> dict[str, int]:
        """Set the user's reaction (the same one again removes it); returns the counts after."""
    def pin_rights(self, room_id: int, user_id: int) -> Row:
        """What decides whether user_id may pin in the room now: owner_id, members_may_pin, is_moderator."""
    def pin_count(self, room_id: int) -> int:
        """How many of the room's messages are pinned."""
    def set_pin(self, message_id: int, pinned_by: int | None) -> None:
        """Pin a message (by pinned_by, now), or unpin it with None."""


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

    async def set_suspended(self, user_id: int, actor_id: int | None, suspended: bool,
                            reason: str = "") -> tuple[bool, list[int]]:
        """Suspend (revoking every token) or unsuspend a user, audited, in one transaction: (changed, tokens revoked)."""

    # rooms and membership
    async def missing_users(self, user_ids: Iterable[int]) -> list[int]:
        """The ids among user_ids that name no user."""
    async def create_room(self, *, name: str, description: str, owner_id: int, member_ids: Iterable[int] = (),
                          kind: str = "public") -> int:
        """Insert a room (public or private) owned (and joined) by owner_id, with more members; returns its id."""
    async def room_for(self, room_id: int, user_id: int) -> Row | None:
        """A room as get_room gives it, plus is_member: whether user_id belongs to it."""
    async def get_room(self, room_id: int) -> Row | None:
        """A room with its owner's names and members_count."""
    async def room_by_name(self, name: str) -> Row | None:
        """A group room by its name (any case, accents or width; the name as stored wins), as get_room."""
    async def list_rooms(self, q: str | None = None, user_id: int | None = None,
                         every_private: bool = False) -> list[Row]:
        """Active public rooms and private ones of user_id (all with every_private), by id; with q, those whose
        name contains it, by name. Direct rooms are never listed."""
    async def user_rooms(self, user_id: int) -> list[Row]:
        """Rooms the user belongs to, with unread_count and last_message_id."""
    async def update_room(self, room_id: int, fields: dict[str, Any], member_ids: Iterable[int] | None = None,
                          actor_id: int | None = None) -> list[int]:
        """Change name, description, avatar, owner, kind or read_only, and with member_ids replace the members
        (Banned when that adds a banned user); returns those removed. actor_id's changes are audited in the
        same transaction."""
    async def delete_room(self, room_id: int) -> list[str]:
        """Delete a room with its members, messages and events; returns its attachments' file names."""
    async def is_member(self, room_id: int, user_id: int) -> bool:
        """Whether the user belongs to the room."""
    async def add_member(self, room_id: int, user_id: int) -> bool:
        """Add a member; False if they already were one; Banned for a user banned from the room."""
    async def remove_member(self, room_id: int, user_id: int, actor_id: int | None = None,
                            spare_moderators: bool = False) -> Row:
        """Remove a member unless they own the room (or moderate it, with spare_moderators), in one
        transaction; returns owner_id, is_member, moderator and banned as it saw them. Audited as actor_id's."""
    async def transfer_owner(self, room_id: int, new_owner_id: int, actor_id: int | None = None) -> bool:
        """Make a member the owner, with an audit row naming actor_id; False (and no change) for a non-member."""
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
    async def mute(self, room_id: int, user_id: int, actor_id: int, until: str | None, reason: str) -> Row:
        """Mute a member until `until` (None: until lifted), audited; NotAMember for anyone else. Returns the mute."""
    async def unmute(self, room_id: int, user_id: int, actor_id: int, reason: str = "") -> bool:
        """Lift a mute in force, audited; False (nothing written) when none holds."""
    async def mutes(self, room_id: int, user_id: int | None = None) -> list[Row]:
        """The room's mutes in force (only user_id's with it), newest first, with the member's names."""

    # direct rooms and blocks
    async def open_direct(self, user_id: int, other_id: int, name: str) -> tuple[int, bool]:
        """The two users' direct room, created with both as members unless it exists and unless a block
        stands (Blocked), in one transaction; returns (room id, whether it was created)."""
    async def direct_room_of(self, user_id: int, other_id: int) -> int | None:
        """The id of the two users' direct room, if they have one."""
    async def with_direct_users(self, rows: list[Row], viewer_id: int) -> list[Row]:
        """The room rows, each direct room's with `direct_user`: its member other than viewer_id (None for others)."""
    async def block_user(self, user_id: int, blocked_id: int) -> bool:
        """user_id blocks blocked_id; False if they already did."""
    async def unblock_user(self, user_id: int, blocked_id: int) -> bool:
        """user_id no longer blocks blocked_id; False if they did not."""
    async def blocks_of(self, user_id: int) -> list[Row]:
        """The users user_id blocks (id, names, photo), each with the block's created_at, oldest first."""

    # invites
    async def create_invite(self, room_id: int, creator_id: int, code: str, expires_in: int | None,
                            max_uses: int | None, limit: int) -> Row:
        """A new invite, audited; TooManyInvites past `limit` live ones in the room (0: no limit)."""
    async def live_invites(self, room_id: int) -> list[Row]:
        """A room's invites that can still be used, oldest first."""
    async def revoke_invite(self, room_id: int, code: str, actor_id: int) -> bool:
        """Revoke a live invite of the room, audited; False if there is none by that code."""
    async def accept_invite(self, code: str, user_id: int, room_limit: int) -> tuple[str, int | None]:
        """Join the invite's room counting one use, in one transaction: (joined | member | invalid | banned | crowded,
        room id)."""

    # moderation: each change audited in its own transaction
    async def set_moderator(self, room_id: int, user_id: int, moderator: bool, actor_id: int) -> Row:
        """Make a member (not the owner) a moderator or take it back; returns the standing before, as remove_member."""
    async def ban(self, room_id: int, user_id: int, actor_id: int, reason: str, spare_moderators: bool) -> Row:
        """Ban a user and remove them, unless the owner, banned already, or a moderator with spare_moderators;
        returns the standing before, as remove_member."""
    async def unban(self, room_id: int, user_id: int, actor_id: int) -> bool:
        """Lift a ban; False when there was none."""
    async def bans(self, room_id: int) -> list[Row]:
        """A room's bans, newest first, with the banned user's and the banning moderator's names."""
    async def audit_entries(self, after_id: int = 0, room_id: int | None = None, limit: int = 100) -> list[Row]:
        """Audit rows after after_id, oldest first; only one room's with room_id; detail parsed."""

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
    async def live_message_ids(self, room_id: int, sender_id: int) -> list[int]:
        """The ids of a user's messages in a room that are not deleted, oldest first."""
    async def all_attachments(self) -> list[str]:
        """Every stored file name a message still refers to."""
    async def events_after(self, room_id: int, after_seq: int, limit: int) -> list[Row]:
        """The room's events with seq > after_seq, oldest first: seq, kind, message_id, frame."""
    async def room_seq(self, room_id: int) -> int:
        """The seq of the room's newest event."""
    async def last_messages(self, message_ids: Sequence[int]) -> dict[int, Row]:
        """Messages by id with their sender's names, for room lists."""
    async def pinned(self, room_id: int) -> list[Row]:
        """The room's pinned messages in history form, the latest pin first."""
    async def live_messages_of(self, user_id: int) -> list[Row]:
        """The ids and room_id of the user's messages that are not deleted, oldest first."""

    # search
    async def search(self, user_id: int, terms: Sequence[SearchTerm], where: SearchFilter, before: int | None,
                     limit: int, ranked: int = 0) -> list[Row]:
        """Undeleted hits below id before in user_id's rooms, with room_kind: newest first, or the newest ranked by relevance."""
    async def search_backfill(self, count: int) -> int:
        """Index up to count older messages not indexed yet; returns the id mark left (0: all indexed)."""
    async def search_backfill_left(self) -> int:
        """The id mark at and below which old messages are still to be indexed (0: all indexed)."""
