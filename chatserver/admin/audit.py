"""The `audit-export` command: the audit log as JSON lines, for archives and other tools."""

from __future__ import annotations

import argparse
import sys

import orjson

from .. import shapes
from ..config import Config
from ..fields import parse_id
from .access import open_database

CHUNK = 1000  # rows read at a time


async def audit_export(config: Config, args: argparse.Namespace) -> int:
    """Write the audit log (or one room's, with --room) after --after-id to standard output, one JSON
    object a line, oldest first; the objects are those of GET /api/admin/audit/."""
    after = args.after_id
    async with open_database(config) as store:
        while True:
            rows = await store.audit_entries(after, args.room, CHUNK)
            for row in rows:
                sys.stdout.write(orjson.dumps(shapes.audit_entry(row)).decode() + "\n")
            if len(rows) < CHUNK:
                return 0
            after = rows[-1]["id"]


def after_id(raw: str) -> int:
    """An audit id typed on the command line, 0 included (argparse type)."""
    value = parse_id(raw, minimum=0)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {raw!r}")
    return value
