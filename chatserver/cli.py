"""The command line: `serve` (the default) and the admin commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Mapping, NoReturn, Sequence

from .config import Config, ConfigError
from .storage.files import DatabaseLocked
from .storage.migrations import DatabaseUnusable

COMMANDS: dict[str, tuple[str, object]] = {}


def _server_flags(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a command's own --db must not erase one given before the command name.
    parser.add_argument("--db", default=argparse.SUPPRESS, help="SQLite database file (CHAT_DB, default ./chat.db)")


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports bad input in one line (exit status 2), not usage and all."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """`python run.py [serve flags]` or `python run.py <command> ...`."""
    parser = _Parser(prog="run.py", description="chatserver: self-hosted real-time chat.")
    parser.add_argument("--host", help="address to listen on (CHAT_HOST, default 127.0.0.1)")
    parser.add_argument("--port", help="TCP port (CHAT_PORT, default 8080)")
    _server_flags(parser)
    parser.add_argument("--media-dir", help="folder for uploads (CHAT_MEDIA_DIR, default ./media)")
    parser.add_argument("--demo", action="store_true",
                        help="create demo users and rooms (idempotent) and print how to connect")
    sub = parser.add_subparsers(dest="command", metavar="command")
    from . import admin
    admin.add_commands(sub, _server_flags)
    return parser


FLAGS = (("host", "CHAT_HOST"), ("port", "CHAT_PORT"), ("db", "CHAT_DB"), ("media_dir", "CHAT_MEDIA_DIR"))


def _with_flags(environ: Mapping[str, str], args: argparse.Namespace) -> dict[str, str]:
    # Flags win over the environment and pass through the same checks, so --port 99999
    # is one line naming the setting rather than a traceback from bind().
    given = {env: value for name, env in FLAGS if (value := getattr(args, name, None)) is not None}
    return {**environ, **given}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the command; a bad setting is one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env(_with_flags(os.environ, args))
    except ConfigError as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        return 2
    from .logs import setup_logging
    setup_logging(config)
    try:
        if args.command:
            return asyncio.run(args.run(config, args)) or 0
        from .serve import serve
        return serve(config, demo=args.demo)
    except (DatabaseLocked, DatabaseUnusable) as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        logging.getLogger("chatserver").error("cannot start: %s", exc)
        return 1
