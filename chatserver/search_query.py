"""The search language a person types: words, "quoted phrases", prefix*, from:, in:, has:."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .names import search_key
from .store import SearchTerm

# A quoted phrase (to its closing quote, or to the end when there is none), or a run of anything else.
_TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
_HAS = {"file": frozenset({"file", "image"}), "image": frozenset({"image"})}


class EmptyQuery(ValueError):
    """A query with nothing to look for: no word with a letter or digit in it."""


@dataclass(frozen=True)
class Query:
    """A parsed search: every term must match; sender (a user id or an e-mail), room and kinds narrow it."""

    terms: tuple[SearchTerm, ...]
    sender: str | None = None
    room_id: int | None = None
    kinds: frozenset[str] = frozenset()


def searchable(text: str) -> bool:
    """Whether text holds a letter, digit or mark, something the index has words of."""
    return any(wordy(char) for char in text)


def wordy(char: str) -> bool:
    """Whether the index counts char as part of a word (schema.sql: categories L* N* Co M*)."""
    category = unicodedata.category(char)
    return category[0] in "LNM" or category == "Co"


def parse(text: str) -> Query:
    """Parse a query; anything that is not an operator is literal text. EmptyQuery when no term is left."""
    terms: list[SearchTerm] = []
    sender, room_id, kinds = None, None, frozenset[str]()
    for phrase, word in _TOKEN.findall(text):
        name, _, value = word.partition(":")
        name = name.lower()
        if name == "from" and value:
            sender = value
        elif name == "in" and value.isascii() and value.isdigit() and 0 < int(value) < 2**63:
            room_id = int(value)
        elif name == "has" and value.lower() in _HAS:
            kinds = kinds | _HAS[value.lower()] if not kinds else kinds & _HAS[value.lower()]
        elif word:
            terms.append(SearchTerm(word.rstrip("*"), prefix=word.endswith("*")))
        else:
            terms.append(SearchTerm(phrase))
    terms = [term for term in terms if searchable(search_key(term.text))]
    if not terms:
        raise EmptyQuery("Type at least one word to search for; from:, in: and has: only narrow a search.")
    return Query(tuple(terms), sender, room_id, kinds)
