"""Logging: level and format from the settings, one line per request, tokens masked."""

from __future__ import annotations

import json
import logging
import re
import sys

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .config import Config

TOKEN = re.compile(r"(token=)[^&\s]+", re.IGNORECASE)


def mask(text: str) -> str:
    """Replace the value of every token= in text."""
    return TOKEN.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname.lower(),
                 "logger": record.name, "message": mask(record.getMessage())}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class MaskingFormatter(logging.Formatter):
    """The plain format, with tokens masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def setup_logging(config: Config) -> None:
    """Send chatserver's and aiohttp's logs to stderr at CHAT_LOG_LEVEL in CHAT_LOG_FORMAT."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if config.log_format == "json" else
                         MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.log_level.upper())


class AccessLogger(AbstractAccessLogger):
    """`METHOD path status bytes duration remote`, with token= masked in the path."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %s %.1fms %s", request.method, mask(request.path_qs),
                         response.status, response.body_length, time * 1000, request.remote)
