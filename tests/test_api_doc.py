"""docs/API.md lists every path the server serves, every error code and every close code it sends."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from aiohttp import WSCloseCode, web

import chatserver
from chatserver.app import create_app
from chatserver.config import Config
from chatserver.errors import HTTP_CODES, ChatError
from chatserver.fanout import registry

PACKAGE = Path(chatserver.__file__).resolve().parent
API = PACKAGE.parent / "docs" / "API.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def table(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table under the heading in API.md."""
    text = API.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    rows: list[list[str]] = []
    for line in text[start:].splitlines():
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # past the header and its rule


def served() -> set[tuple[str, str]]:
    """(method, path) of every route of the application, placeholders written <name>; HEAD left out."""
    out = set()
    for route in create_app(Config()).router.routes():
        path = re.sub(r"\{(\w+)[^}]*\}", r"<\1>", route.resource.canonical)
        if isinstance(route.resource, web.StaticResource):
            path += "/<file>"
        if route.method != "HEAD":
            out.add((route.method, path))
    return out


def test_every_path_the_server_serves_is_listed_and_no_other():
    listed = set()
    for path, methods, *_ in table("## Every path"):
        assert path.startswith("`/") and path.endswith("`"), path
        found = re.findall(r"\b(?:%s)\b" % "|".join(METHODS), methods)
        assert found, (path, methods)
        listed |= {(method, path.strip("`")) for method in found}
    assert listed == served()
    for must in ("/metrics", "/media/<name>", "/healthz", "/api/schema/", "/ws/user/"):
        assert ("GET", must) in listed


def _sources() -> list[ast.AST]:
    return [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))]


def sent_codes() -> dict[str, set[int]]:
    """Every error code in the source, each with the statuses it is given explicitly.

    Found as ChatError("code", ..., status=N) calls (not_found(), forbidden() and invalid() are
    such calls in errors.py), JSON bodies built by hand with a "code" key, and HTTP_CODES.
    """
    codes: dict[str, set[int]] = {code: {status} for status, code in HTTP_CODES.items()}
    for tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ChatError" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    statuses = codes.setdefault(first.value, set())
                    statuses |= {k.value.value for k in node.keywords
                                 if k.arg == "status" and isinstance(k.value, ast.Constant)}
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        for part in ast.walk(value):
                            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                                codes.setdefault(part.value, set())
    return codes


def test_every_error_code_the_server_sends_is_listed():
    codes = sent_codes()
    assert {"not_found", "forbidden", "invalid", "internal", "unavailable", "bad_request"} <= codes.keys()
    rows = {row[0].strip("`"): row for row in table("### Every error code")}
    assert sorted(rows) == sorted(codes)
    for code, statuses in codes.items():
        listed = {int(n) for n in re.findall(r"\b\d{3}\b", rows[code][1])}
        assert statuses <= listed, (code, statuses, rows[code][1])
        default = ChatError(code, "").status
        if default != 400:  # a code with a status of its own answers with it
            assert default in listed, (code, default)
    assert {"500", "503"} <= {row[1] for row in rows.values()}


def test_every_close_code_the_server_sends_is_listed():
    used = {value for name, value in vars(registry).items() if name.startswith("CLOSE_") and type(value) is int}
    for tree in _sources():
        used |= {int(WSCloseCode[node.attr]) for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "WSCloseCode"}
    used.add(int(WSCloseCode.MESSAGE_TOO_BIG))  # aiohttp's own answer to a frame over CHAT_MAX_FRAME_BYTES
    listed = {int(row[0]) for row in table("### Close codes")}
    assert used <= listed and {1001, 1011, 4001, 4008} <= used
