"""Logging: level and format from the settings, one line per request, tokens masked."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .config import Config
from .storage.db import iso

# token=<key> in a query string, and a key after Token/Bearer as in an Authorization header.
SECRETS = (re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE),
           re.compile(r"((?:token|bearer)\s+)[A-Za-z0-9._~+/=-]{20,}", re.IGNORECASE))


def mask(text: str) -> str:
    """Replace the value of every token= (and every Token/Bearer key) in text."""
    for pattern in SECRETS:
        text = pattern.sub(r"\1***", text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an access line also carries its fields under "http"."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": iso(datetime.fromtimestamp(record.created, timezone.utc)), "level": record.levelname.lower(),
                 "logger": record.name, "message": mask(record.getMessage())}
        if hasattr(record, "http"):
            entry["http"] = record.http
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
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
    """`METHOD path status bytes duration remote`, with token= masked in the path.

    A WebSocket session is logged here once, with status 101, when it ends.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = mask(request.path_qs)
        fields = {"method": request.method, "path": path, "status": response.status,
                  "bytes": response.body_length, "ms": round(time * 1000, 1), "remote": request.remote}
        self.logger.info("%s %s %s %s %.1fms %s", request.method, path, response.status,
                         response.body_length, time * 1000, request.remote, extra={"http": fields})
