"""The package's import graph, read from the source: imports flow one way between layers."""

from __future__ import annotations

import ast
from pathlib import Path

import chatserver

ROOT = Path(chatserver.__file__).parent

# The domain: rules, change types, wire shapes, errors, request bodies and their fields, names, settings, limits,
# accounts and media. It may call storage (below it), never HTTP, SQL drivers, wire bytes,
# the fan-out, the publisher or either transport (above it).
DOMAIN = {"chatserver.rules", "chatserver.room_changes", "chatserver.shapes", "chatserver.errors",
          "chatserver.bodies", "chatserver.fields", "chatserver.names", "chatserver.config", "chatserver.rates",
          "chatserver.throttle", "chatserver.logins", "chatserver.security", "chatserver.media",
          "chatserver.accounts", "chatserver.sessions", "chatserver.membership", "chatserver.client_frames",
          "chatserver.store", "chatserver.moderation", "chatserver.search_query", "chatserver.search_hits",
          "chatserver.search_backfill"}
DOMAIN_MAY_NOT = ("aiohttp", "sqlite3", "aiosqlite", "chatserver.views", "chatserver.realtime",
                  "chatserver.fanout", "chatserver.wire", "chatserver.publisher", "chatserver.request",
                  "chatserver.keys", "chatserver.app", "chatserver.routes")
TRANSPORTS = ("chatserver.views", "chatserver.realtime")
# Only the assembly mounts the transports; nothing else reaches into them.
ASSEMBLY = {"chatserver.app", "chatserver.routes"}
# Storage is the bottom layer: of the package it imports only itself, the name rules and the Store it implements.
STORAGE = "chatserver.storage"
STORAGE_MAY = ("chatserver.storage", "chatserver.names", "chatserver.store")

# Forbidden edges that exist today, each with why; the test fails when one is added or mended.
KNOWN = {
}


def module_name(path: Path) -> str:
    """The dotted module name of a file of the package."""
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in ROOT.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """Every module this one imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if base == "__future__":
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in MODULES else base)
    return found


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def under(module: str, prefix: str) -> bool:
    """Whether a module is prefix or inside it."""
    return module == prefix or module.startswith(prefix + ".")


def forbidden() -> set[tuple[str, str]]:
    """Every edge that breaks a layering rule."""
    edges = set()
    for source, targets in GRAPH.items():
        for target in targets:
            for side, other in (TRANSPORTS, TRANSPORTS[::-1]):
                if under(source, side) and under(target, other):
                    edges.add((source, target))
            if not any(under(source, side) for side in TRANSPORTS) and source not in ASSEMBLY \
                    and any(under(target, side) for side in TRANSPORTS):
                edges.add((source, target))
            if source in DOMAIN and any(under(target, bad) for bad in DOMAIN_MAY_NOT):
                edges.add((source, target))
            if under(source, STORAGE) and under(target, "chatserver") \
                    and not any(under(target, ok) for ok in STORAGE_MAY):
                edges.add((source, target))
    return edges


def cycles() -> list[list[str]]:
    """The package's strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in GRAPH:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in GRAPH[node]:
                groups.append(sorted(group))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_is_read() -> None:
    assert "chatserver.app" in GRAPH
    assert "chatserver.config" in GRAPH["chatserver.app"]
    assert "chatserver.storage.sqlite_store" in GRAPH["chatserver.app"]
    assert "aiohttp" in GRAPH["chatserver.app"]


def test_no_import_cycle() -> None:
    assert cycles() == []


def test_no_forbidden_edge_beyond_the_known() -> None:
    assert sorted(forbidden() - set(KNOWN)) == []


def test_every_known_edge_still_exists() -> None:
    assert sorted(set(KNOWN) - forbidden()) == []


def test_every_domain_module_exists() -> None:
    assert sorted(DOMAIN - set(MODULES)) == []


HOOKS = {"on_startup", "on_shutdown", "on_cleanup", "cleanup_ctx", "on_response_prepare", "middlewares"}


def hooks_added(path: Path) -> set[str]:
    """The application hooks a module names (app.on_shutdown, app.cleanup_ctx, ...)."""
    tree = ast.parse(path.read_text(), str(path))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in HOOKS} | \
        {node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg in HOOKS}


def test_only_the_assembly_adds_hooks() -> None:
    added = {name: hooks_added(path) for name, path in MODULES.items() if name != "chatserver.app"}
    assert {name: hooks for name, hooks in added.items() if hooks} == {}
    assert hooks_added(MODULES["chatserver.app"]) >= {"cleanup_ctx", "on_shutdown", "on_response_prepare",
                                                      "middlewares"}


def test_a_new_forbidden_edge_or_cycle_is_caught(monkeypatch) -> None:
    monkeypatch.setitem(GRAPH, "chatserver.names", GRAPH["chatserver.names"] | {"chatserver.views.rooms"})
    assert ("chatserver.names", "chatserver.views.rooms") in forbidden()
    monkeypatch.setitem(GRAPH, "chatserver.config", GRAPH["chatserver.config"] | {"chatserver.app"})
    assert any({"chatserver.app", "chatserver.config"} <= set(group) for group in cycles())
