"""The server uses its libraries' public API only: no private attribute of theirs read, no private method overridden."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import chatserver

ROOT = Path(chatserver.__file__).parent
TREES = {path: ast.parse(path.read_text(), str(path)) for path in ROOT.rglob("*.py")}


def private(name: str) -> bool:
    """A name with one leading underscore: private by convention (dunders are public protocol)."""
    return name.startswith("_") and not name.endswith("__")


def ours() -> set[str]:
    """Every name the package itself defines or assigns: functions, classes, attributes, variables."""
    names = set()
    for tree in TREES.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def test_no_private_attribute_of_a_library_is_read():
    defined = ours()
    reached = [f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}"
               for path, tree in TREES.items() for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and private(node.attr) and node.attr not in defined]
    assert reached == []


def written_here(value: object, cls: type) -> bool:
    """Whether a class attribute is a method written in the class's own body (not set by a metaclass)."""
    function = getattr(value, "__func__", value)
    return inspect.isfunction(function) and function.__qualname__.startswith(cls.__qualname__ + ".")


def test_no_class_overrides_a_private_method_of_a_library():
    overridden = []
    for path in TREES:
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            libraries = [base for base in cls.__mro__[1:] if not base.__module__.startswith("chatserver")]
            overridden += [f"{cls.__module__}.{cls.__name__}.{name}" for name, value in vars(cls).items()
                           if private(name) and written_here(value, cls)
                           and any(hasattr(base, name) for base in libraries)]
    assert overridden == []
