"""Admin commands on the database itself: an online backup, an integrity check."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

from ..config import Config
from ..storage.files import backup_file, inspect
from ..storage.migrations import SCHEMA_VERSION
from .access import Refused, existing_db


class _Progress:
    """Pages copied out of the total on stderr: rewritten in place on a terminal, every tenth otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, status: int, remaining: int, total: int) -> None:
        done = total - remaining
        tenth = done * 10 // max(total, 1)
        if self.tty:
            print(f"\rbackup: {done}/{total} pages ({done * 100 // max(total, 1)}%)", end="", file=sys.stderr)
        elif tenth != self.shown:
            print(f"backup: {done}/{total} pages", file=sys.stderr)
        self.shown = tenth


async def backup(config: Config, args: argparse.Namespace) -> int:
    """Copy the database to a file with SQLite's online backup API (safe while the server runs)."""
    existing_db(config)
    target = Path(args.file)
    if target.resolve() == Path(config.db).resolve():
        raise Refused("the backup cannot replace the database it copies")
    if not target.parent.is_dir():
        raise Refused(f"no folder {target.parent}")
    if target.exists() and not args.force:
        raise Refused(f"{target} exists; pass --force to replace it")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # a copy is as private as the original
    started = time.monotonic()
    progress = _Progress()
    await backup_file(config.db, str(partial), progress)
    if progress.tty:
        print(file=sys.stderr)
    os.replace(partial, target)  # a reader of target never sees half a copy
    print(f"backup of {config.db} written to {target} ({target.stat().st_size} bytes,"
          f" {time.monotonic() - started:.1f}s)")
    return 0


async def check(config: Config, args: argparse.Namespace) -> int:
    """Check the database: integrity, foreign keys, every room's seq numbering, and the schema
    version; exit 1 on any problem."""
    existing_db(config)
    try:
        version, findings = await inspect(config.db)
    except sqlite3.DatabaseError as exc:  # the file's fault, not the input's: a finding, exit 1
        print(f"chatserver: check: {config.db}: {exc}", file=sys.stderr)
        return 1
    sound = not findings
    print(f"integrity: {'ok' if sound else 'FAILED'}")
    for line in findings:
        print(f"  {line}")
    print(f"schema version: {version} (this server: {SCHEMA_VERSION})"
          + ("" if version == SCHEMA_VERSION else " MISMATCH"))
    return 0 if sound and version == SCHEMA_VERSION else 1
