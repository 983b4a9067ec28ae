"""The rooms that have open sockets, and the users' streams that follow rooms."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Callable, Iterable

from aiohttp import WSCloseCode

from ..wire import encode
from .activity import ActivityPace
from .peer import CLOSE_TIMEOUT, Peer

CLOSE_REVOKED, CLOSE_REMOVED, CLOSE_ROOM_DELETED, CLOSE_SLOW = 4001, 4003, 4004, 4008


class Registry:
    """Rooms with open sockets, and each user's streams; knows nothing of HTTP or SQL.

    A stream (`/ws/user/`) is a Peer with room_id None. It follows the rooms its user is a
    member of: `follow()` sets them, `notify()` tells the followers of a room that something
    happened there, `tell()` sends one user's streams a frame.
    """

    def __init__(self, on_slow: Callable[[Peer], None] | None = None, activity_interval: float = 0.0) -> None:
        self.rooms: dict[int, dict[Peer, None]] = {}
        self.streams: dict[int, dict[Peer, None]] = {}  # user id -> that user's streams
        self.following: dict[int, frozenset[int]] = {}  # user id (with streams) -> room ids
        self.followers: dict[int, set[int]] = {}  # room id -> user ids whose streams follow it
        self.follow_lock = asyncio.Lock()
        self._activity = ActivityPace(activity_interval, self._tell_followers)
        self.by_user: Counter[int] = Counter()
        self.by_address: Counter[str] = Counter()
        self._on_slow = on_slow
        self._emptied: asyncio.Future[None] | None = None

    @property
    def sockets(self) -> int:
        """How many sockets are open."""
        return sum(self.by_user.values())

    def _group(self, peer: Peer) -> tuple[dict[int, dict[Peer, None]], int]:
        return (self.streams, peer.user["id"]) if peer.room_id is None else (self.rooms, peer.room_id)

    def join(self, peer: Peer) -> None:
        """Add an open socket to its room (a stream to its user's streams)."""
        peer.on_slow = self._slow
        groups, key = self._group(peer)
        groups.setdefault(key, {})[peer] = None
        self.by_user[peer.user["id"]] += 1
        self.by_address[peer.address] += 1

    def leave(self, peer: Peer) -> bool:
        """Remove a socket; True if it was its user's last one in the room."""
        peer.live = False
        groups, key = self._group(peer)
        group = groups.get(key, {})
        if peer not in group:
            return False
        del group[peer]
        if not group:
            self._forget(groups, key)
            self._settle_shutdown()
        self._uncount(peer)
        return peer.room_id is not None and not any(p.user["id"] == peer.user["id"] for p in group)

    def _forget(self, groups: dict[int, dict[Peer, None]], key: int) -> None:
        """A room, or a user's streams, has no socket left: drop it (and what the streams followed)."""
        del groups[key]
        if groups is self.streams:
            self.follow(key, ())

    def _settle_shutdown(self) -> None:
        """The last socket is gone: a shutdown waiting for that may end."""
        if not self.rooms and not self.streams and self._emptied is not None and not self._emptied.done():
            self._emptied.set_result(None)

    def _uncount(self, peer: Peer) -> None:
        """Take a closed socket off its user's and its address's counts (a count of 0 keeps no key)."""
        for counter, key in ((self.by_user, peer.user["id"]), (self.by_address, peer.address)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]

    def follow(self, user_id: int, room_ids: Iterable[int]) -> bool:
        """Set the rooms a user's streams follow; True if that changed for a user with streams."""
        new = frozenset(room_ids) if user_id in self.streams else frozenset()
        old = self.following.get(user_id, frozenset())
        if new == old:
            return False
        for room_id in old - new:
            followers = self.followers[room_id]
            followers.discard(user_id)
            if not followers:
                del self.followers[room_id]
        for room_id in new - old:
            self.followers.setdefault(room_id, set()).add(user_id)
        if new:
            self.following[user_id] = new
        else:
            self.following.pop(user_id, None)
        return True

    def tell(self, user_id: int, frame: dict[str, Any]) -> int:
        """Send a frame to every stream of one user; returns how many."""
        streams = self.streams.get(user_id, {})
        if streams:
            data = encode(frame)
            for peer in streams:
                peer.write(data)
        return len(streams)

    def notify(self, room_id: int, seq: int | None, event: str, sender_id: int | None) -> int:
        """Tell the streams following a room that an event was committed there, at the pace of
        activity.py (at most one frame per room per activity_interval); returns how many."""
        if not self.followers.get(room_id):
            return 0
        frame = {"action": "room_activity", "room_id": room_id, "seq": seq, "event": event, "sender_id": sender_id}
        return self._activity.offer(room_id, frame)

    def _tell_followers(self, room_id: int, frame: dict[str, Any]) -> int:
        data = encode(frame)
        count = 0
        for user_id in self.followers.get(room_id, ()):
            for peer in self.streams.get(user_id, ()):
                peer.write(data)
                count += 1
        return count

    def broadcast(self, room_id: int, frame: bytes, own: bytes | None = None,
                  sender_id: int | None = None, seq: int | None = None) -> int:
        """Deliver a ready frame to every socket of the room (`own` to the sender's); returns the count."""
        room = self.rooms.get(room_id)
        if not room:
            return 0
        for peer in room:
            peer.deliver(own if own is not None and peer.user["id"] == sender_id else frame, seq)
        return len(room)

    def broadcast_others(self, room_id: int, frame: bytes, user_id: int) -> int:
        """Deliver a ready frame to the room's sockets of everyone but user_id; returns the count."""
        count = 0
        for peer in self.rooms.get(room_id, ()):
            if peer.user["id"] != user_id:
                peer.deliver(frame)
                count += 1
        return count

    def close(self, peers: Iterable[Peer], code: int, reason: str) -> int:
        """Have these sockets closed with code by their handlers; returns how many were asked."""
        return sum(peer.close(code, reason) for peer in list(peers))

    def _each(self, match: Callable[[Peer], bool], room_id: int | None = None) -> list[Peer]:
        """Room sockets of one room, or every socket (streams included) when room_id is None."""
        groups = [self.rooms.get(room_id, {})] if room_id is not None else \
            [*self.rooms.values(), *self.streams.values()]
        return [p for group in groups for p in group if match(p)]

    def close_member(self, room_id: int, user_id: int) -> int:
        """A member left or was removed: close their sockets in the room (4003)."""
        return self.close(self._each(lambda p: p.user["id"] == user_id, room_id), CLOSE_REMOVED, "removed")

    def close_room(self, room_id: int) -> int:
        """The room was deleted: close all its sockets (4004)."""
        return self.close(self._each(lambda p: True, room_id), CLOSE_ROOM_DELETED, "room deleted")

    def close_token(self, token_id: int) -> int:
        """A token was revoked: close the sockets opened with it (4001)."""
        return self.close(self._each(lambda p: p.token_id == token_id), CLOSE_REVOKED, "token revoked")

    def token_ids(self) -> set[int]:
        """The tokens the open sockets were opened with."""
        return {p.token_id for p in self._each(lambda p: True)}

    def update_user(self, user: dict[str, Any]) -> int:
        """A user's profile changed: their open sockets send the new name and photo from now on."""
        peers = self._each(lambda p: p.user["id"] == user["id"])
        for peer in peers:
            peer.user = {**user, "token_id": peer.token_id}
        return len(peers)

    def _slow(self, peer: Peer) -> None:
        if not peer.live:
            return
        if self._on_slow:
            self._on_slow(peer)
        self.close([peer], CLOSE_SLOW, "slow")

    async def shutdown(self) -> None:
        """Close every socket with 1001 (going away) and wait until their handlers have closed them."""
        self._emptied = asyncio.get_running_loop().create_future()
        self.close(self._each(lambda p: True), WSCloseCode.GOING_AWAY, "server shutdown")
        if self.rooms or self.streams:
            await asyncio.wait([self._emptied], timeout=CLOSE_TIMEOUT + 1)
