"""What the fuzzers share: hypothesis settings, JSON values with hostile text, placeholders for ids."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Right-to-left and zero-width marks, a joined emoji, combining accents, a BOM, noncharacters, NUL.
EDGE_TEXT = st.lists(st.sampled_from(["\u202e", "\u200b", "\u200d", "👩\u200d💻", "e\u0301", "\ufeff", "\uffff",
                                      "\U0010ffff", "\x00", "\x7f", "ǅ", "ß", "İ", "\u2028", "a"]),
                     min_size=1, max_size=8).map("".join)
leaves = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), EDGE_TEXT)
json_values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def render(value: Any, ids: dict[str, int]) -> Any:
    """value with each placeholder ("$own", "$room", ...) replaced by its id."""
    if isinstance(value, str) and value in ids:
        return ids[value]
    if isinstance(value, list):
        return [render(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: render(v, ids) for k, v in value.items()}
    return value
