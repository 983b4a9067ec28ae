"""The pace of room_activity frames: at most one per room per interval, the newest event told."""

from __future__ import annotations

import asyncio
from typing import Any, Callable


class ActivityPace:
    """Hands a room's room_activity frames to `tell` at most once per interval.

    The first event after a quiet spell goes out at once, later ones wait and only the newest
    is told when the interval ends: a busy room costs its followers one frame a second, not one
    per message. With an interval of 0 every frame goes out at once.
    """

    def __init__(self, interval: float, tell: Callable[[int, dict[str, Any]], int]) -> None:
        self.interval = interval
        self._tell = tell
        self._rooms: dict[int, _Activity] = {}  # room id -> when it was last told, what waits

    def offer(self, room_id: int, frame: dict[str, Any]) -> int:
        """Tell this frame now, or keep it as the room's newest until its turn; returns how many were told."""
        if not self.interval:
            return self._tell(room_id, frame)
        loop = asyncio.get_running_loop()
        state = self._rooms.get(room_id)
        if state is None or (state.timer is None and loop.time() - state.told >= self.interval):
            self._rooms[room_id] = _Activity(loop.time())
            return self._tell(room_id, frame)
        state.waiting = frame  # the newest wins
        if state.timer is None:
            state.timer = loop.call_at(state.told + self.interval, self._tell_waiting, room_id)
        return 0

    def _tell_waiting(self, room_id: int) -> None:
        state = self._rooms.pop(room_id)
        if state.waiting is not None:
            self._rooms[room_id] = _Activity(asyncio.get_running_loop().time())
            self._tell(room_id, state.waiting)


class _Activity:
    """A room's last room_activity: when it was told, and the newest one waiting for its turn."""

    __slots__ = ("told", "waiting", "timer")

    def __init__(self, told: float) -> None:
        self.told = told
        self.waiting: dict[str, Any] | None = None
        self.timer: asyncio.TimerHandle | None = None
