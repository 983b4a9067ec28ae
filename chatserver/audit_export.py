"""The `audit-export` admin command: the audit log as JSON lines, for archives and other tools."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import orjson

from . import schemas, shapes
from .admin import _database, _guarded, _id
from .config import Config
from .storage import audit

CHUNK = 1000  # rows read at a time


async def audit_export(config: Config, args: argparse.Namespace) -> int:
    """Write the audit log (or one room's, with --room) after --after-id to standard output, one JSON
    object a line, oldest first; the objects are those of GET /api/admin/audit/."""
    after = args.after_id
    async with _database(config) as db:
        while True:
            rows = await audit.entries(db, after, args.room, CHUNK)
            for row in rows:
                sys.stdout.write(orjson.dumps(shapes.audit_entry(row)).decode() + "\n")
            if len(rows) < CHUNK:
                return 0
            after = rows[-1]["id"]


def _after(raw: str) -> int:
    """An audit id typed on the command line, 0 included (argparse type)."""
    value = schemas.parse_id(raw, minimum=0)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {raw!r}")
    return value


def add_command(sub: Any, server_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `audit-export` on the subparsers."""
    parser = sub.add_parser("audit-export", help="write the audit log as JSON lines", description=audit_export.__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    server_flags(parser)
    parser.set_defaults(run=_guarded(audit_export))
    parser.add_argument("--room", type=_id, metavar="ID", help="only this room's entries")
    parser.add_argument("--after-id", type=_after, default=0, metavar="N",
                        help="only entries with an id above N (default 0: all)")
