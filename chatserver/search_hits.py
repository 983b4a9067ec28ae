"""A search run for a caller: the filters resolved, the hits found, each with its snippet and highlights."""

from __future__ import annotations

from typing import Any, Sequence

from .names import search_key, search_key_map, substring_term
from .search_query import Query, wordy
from .store import Row, SearchFilter, SearchTerm, Store

SNIPPET = 200  # characters of a message a snippet shows at most, around its first highlight


async def find(store: Store, user_id: int, query: Query, room_id: int | None, before: int | None,
               limit: int, ranked: int = 0) -> list[Row]:
    """The hits of query readable by user_id, each message row with room_kind and snippet (ranked: as Store.search)."""
    if room_id is not None and query.room_id is not None and room_id != query.room_id:
        return []
    sender_id = None
    if query.sender is not None:
        sender = query.sender
        if sender.isascii() and sender.isdigit():
            sender_id = int(sender)
            if sender_id >= 2**63:
                return []
        else:
            user = await store.get_login(sender)
            if user is None:
                return []
            sender_id = user["id"]
    where = SearchFilter(room_id if room_id is not None else query.room_id, sender_id, query.kinds)
    rows = await store.search(user_id, query.terms, where, before, limit, ranked)
    for row in rows:
        row["snippet"] = snippet(row["content"], query.terms)
    return rows


def _tokens(text: str) -> list[str]:
    words, current = [], []
    for char in text + " ":
        if wordy(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    return words


def highlights(content: str, terms: Sequence[SearchTerm]) -> list[tuple[int, int]]:
    """Where the terms occur in content: [start, end) character offsets, sorted, not overlapping."""
    folded, origin = search_key_map(content)
    found: list[tuple[int, int]] = []
    for term in terms:
        key = search_key(term.text)
        if substring_term(key):
            found.extend(_occurrences(folded, key, whole=False, prefix=False))
            continue
        words = _tokens(key)
        for n, word in enumerate(words):
            found.extend(_occurrences(folded, word, whole=True, prefix=term.prefix and n == len(words) - 1))
    spans: list[tuple[int, int]] = []
    for start, end in sorted((origin[s], origin[e - 1] + 1) for s, e in found):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _occurrences(text: str, word: str, whole: bool, prefix: bool) -> list[tuple[int, int]]:
    """Each [start, end) of word in text: anywhere, or (whole) as a whole word, or (prefix) a word's start."""
    spans, at = [], text.find(word) if word else -1
    while at >= 0:
        end = at + len(word)
        while whole and prefix and end < len(text) and wordy(text[end]):
            end += 1
        starts_word = not whole or at == 0 or not wordy(text[at - 1])
        ends_word = not whole or end == len(text) or not wordy(text[end])
        if starts_word and ends_word:
            spans.append((at, end))
        at = text.find(word, at + 1)
    return spans


def snippet(content: str, terms: Sequence[SearchTerm]) -> dict[str, Any]:
    """Up to SNIPPET characters of content around its first highlight, with the highlights inside them."""
    spans = highlights(content, terms)
    if len(content) <= SNIPPET:
        return {"text": content, "highlights": [list(span) for span in spans]}
    first = spans[0][0] if spans else 0
    start = max(0, min(first - SNIPPET // 4, len(content) - SNIPPET))
    end = start + SNIPPET
    lead = "…" if start else ""
    text = lead + content[start:end] + ("…" if end < len(content) else "")
    shift = len(lead) - start
    inside = [[max(s, start) + shift, min(e, end) + shift] for s, e in spans if s < end and e > start]
    return {"text": text, "highlights": inside}
