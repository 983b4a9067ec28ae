"""Attachments on disk: the names we store them under, free space, quotas, and removal."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
from pathlib import Path
from typing import Iterable

from .config import Config
from .errors import ChatError

log = logging.getLogger("chatserver.media")
STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.[a-z0-9]{1,10}$")
PARTIAL_NAME = re.compile(r"^\.[A-Za-z0-9_-]{22}\.part$")


FREE_SPACE_TTL = 1.0  # seconds a reading of the free space serves every send and upload
_free: dict[tuple[str, str], tuple[float, int]] = {}


def free_bytes(config: Config) -> int:
    """Free bytes on the disk of the data folder (the media folder; the database sits beside it),
    read at most once a FREE_SPACE_TTL: a send must not cost two statvfs calls and a path walk."""
    key, now = (config.media_dir, config.db), time.monotonic()
    read_at, free = _free.get(key, (-FREE_SPACE_TTL, 0))
    if now - read_at >= FREE_SPACE_TTL:
        folders = [f for f in (Path(config.media_dir), Path(config.db).resolve().parent) if f.exists()]
        free = min(shutil.disk_usage(f).free for f in folders or [Path.cwd()])
        _free[key] = (now, free)
    return free


def check_free_space(config: Config, needed: int = 0) -> None:
    """Refuse (507) a write that would leave less than CHAT_MIN_FREE_BYTES free on the data disk."""
    if config.min_free_bytes and free_bytes(config) - needed < config.min_free_bytes:
        raise ChatError("insufficient_storage", "The server's disk is nearly full; nothing was saved. Try later.",
                        status=507)


def _sizes(folder: Path, names: Iterable[str]) -> int:
    total = 0
    for name in names:
        try:
            total += (folder / name).stat().st_size
        except OSError:
            continue
    return total


async def stored_bytes(config: Config, names: list[str]) -> int:
    """How many bytes the named attachments take on disk."""
    return await asyncio.to_thread(_sizes, Path(config.media_dir), names)


def _unlink(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        if STORED_NAME.match(name):
            (folder / name).unlink(missing_ok=True)


async def remove(config: Config, names: list[str]) -> None:
    """Delete the files of deleted messages or rooms."""
    if names:
        await asyncio.to_thread(_unlink, Path(config.media_dir), names)


def _sweep(folder: Path, keep: set[str]) -> tuple[int, int]:
    partial = [p for p in folder.iterdir() if PARTIAL_NAME.match(p.name)]
    for path in partial:
        path.unlink(missing_ok=True)
    unreferenced = sum(1 for p in folder.iterdir() if STORED_NAME.match(p.name) and p.name not in keep)
    return len(partial), unreferenced


async def sweep(config: Config, referenced: Iterable[str]) -> None:
    """At start-up: remove the partial uploads a crash left; files no message names are only counted,
    since a media folder started with the wrong database must not be emptied."""
    partial, unreferenced = await asyncio.to_thread(_sweep, Path(config.media_dir), set(referenced))
    if partial:
        log.info("removed %d partial uploads left by a crash", partial)
    if unreferenced:
        log.warning("%d files in %s belong to no message; they were left in place", unreferenced, config.media_dir)
