"""Bus: how committed events and membership changes reach open sockets, whichever node holds them.

The in-process Registry is the one implementation; a bus across several nodes is another class
with these methods. Frames arrive ready (bytes) or as dicts the bus encodes once.
"""

from __future__ import annotations

from typing import Any, Protocol


class Bus(Protocol):
    """Publish to a room's sockets or a user's streams; close the sockets a change ends."""

    def broadcast(self, room_id: int, frame: bytes, own: bytes | None = None,
                  sender_id: int | None = None, seq: int | None = None) -> int:
        """Deliver a committed event's frame to every socket of the room (`own` to the sender's); returns the count."""
    def notify(self, room_id: int, seq: int | None, event: str, sender_id: int | None) -> int:
        """Tell the user streams following a room that an event was committed there; returns how many."""
    def tell(self, user_id: int, frame: dict[str, Any]) -> int:
        """Send a frame to every stream of one user; returns how many."""
    def close_member(self, room_id: int, user_id: int) -> int:
        """A member left or was removed: close their sockets in the room (4003)."""
    def close_room(self, room_id: int) -> int:
        """The room was deleted: close all its sockets (4004)."""
    def close_token(self, token_id: int) -> int:
        """A token was revoked: close the sockets opened with it (4001)."""
    def update_user(self, user: dict[str, Any]) -> int:
        """A user's profile changed: their open sockets send the new name and photo from now on."""
