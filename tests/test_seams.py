"""The seams for a second backend: each interface's one implementation has every method, as declared."""

from __future__ import annotations

import inspect

import pytest

from chatserver.fanout.bus import Bus
from chatserver.fanout.registry import Registry
from chatserver.storage.batch import SqliteBatch
from chatserver.storage.sqlite_store import SqliteStore
from chatserver.store import ChangeBatch, Store

SEAMS = [(Store, SqliteStore), (ChangeBatch, SqliteBatch), (Bus, Registry)]


def declared(interface: type) -> dict[str, inspect.Signature]:
    """The methods an interface declares, by name, with their signatures."""
    return {name: inspect.signature(member) for name, member in vars(interface).items()
            if inspect.isfunction(member) and not name.startswith("_")}


def parameters(signature: inspect.Signature) -> list[tuple[str, inspect._ParameterKind]]:
    return [(p.name, p.kind) for p in signature.parameters.values()]


@pytest.mark.parametrize("interface, implementation", SEAMS, ids=lambda c: c.__name__)
def test_the_implementation_has_every_method(interface, implementation) -> None:
    missing = [name for name in declared(interface) if not callable(getattr(implementation, name, None))]
    assert missing == []


@pytest.mark.parametrize("interface, implementation", SEAMS, ids=lambda c: c.__name__)
def test_each_method_takes_what_the_interface_says(interface, implementation) -> None:
    differ = {}
    for name, signature in declared(interface).items():
        mine = inspect.signature(getattr(implementation, name))
        if parameters(mine) != parameters(signature) or \
                inspect.iscoroutinefunction(getattr(implementation, name)) != inspect.iscoroutinefunction(
                    getattr(interface, name)):
            differ[name] = (str(signature), str(mine))
    assert differ == {}


def test_a_missing_or_different_method_is_caught() -> None:
    class Half:
        async def ping(self, deep: bool) -> bool: ...

    assert "history" in [name for name in declared(Store) if not callable(getattr(Half, name, None))]
    assert parameters(inspect.signature(Half.ping)) != parameters(declared(Store)["ping"])
