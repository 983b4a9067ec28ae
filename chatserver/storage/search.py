"""Search queries: the messages of the caller's rooms that match, and the backfill's progress."""

from __future__ import annotations

from typing import Sequence

import orjson

from . import search_index
from .db import Database, Row
from .messages import MESSAGE_SELECT, decoded
from ..names import search_key, substring_term
from ..store import SearchFilter, SearchTerm

# Relevance: bm25 (negative, lower is better) shrunk by age, so a newer hit of equal relevance ranks first.
RELEVANCE = "score / (1.0 + (julianday('now') - julianday(created_at)) / 30.0), id DESC"


def _quoted(text: str) -> str:
    # FTS5 reads a query only up to a NUL; a NUL separates words like any other control character.
    return '"' + text.replace('"', '""').replace("\x00", " ") + '"'


def match_expressions(terms: Sequence[SearchTerm]) -> tuple[str | None, str | None]:
    """The FTS5 MATCH texts of the word and trigram indexes (None: no term for it); every term quoted."""
    words, grams = [], []
    for term in terms:
        key = search_key(term.text)
        if substring_term(key):
            grams.append(_quoted(key))
        else:
            words.append(_quoted(key) + ("*" if term.prefix else ""))
    return (" AND ".join(words) or None), (" AND ".join(grams) or None)


async def search(db: Database, user_id: int, terms: Sequence[SearchTerm], where: SearchFilter,
                 before: int | None, limit: int, ranked: int = 0) -> list[Row]:
    """Matching messages of the rooms user_id is a member of, not deleted, with room_kind; newest first.

    With ranked, the newest `ranked` of them ordered by relevance (RELEVANCE): the cost stays bounded."""
    words, grams = match_expressions(terms)
    table, match = ("search_words", words) if words else ("search_grams", grams)
    score = f"bm25({table})" if ranked else "0"
    sql = [f"SELECT {table}.rowid AS id, g.kind AS room_kind, {score} AS score, m.created_at FROM {table}"
           f" JOIN messages m ON m.id = {table}.rowid JOIN rooms g ON g.id = m.room_id AND g.is_active = 1"
           f" JOIN members my ON my.room_id = m.room_id AND my.user_id = ?"
           f" WHERE {table} MATCH ? AND {table}.rowid < ? AND m.is_deleted = 0"]
    params: list[object] = [user_id, match, before if before is not None else 2**63 - 1]
    if words and grams:
        sql.append("AND m.id IN (SELECT rowid FROM search_grams WHERE search_grams MATCH ?)")
        params.append(grams)
    for column, value in (("m.room_id", where.room_id), ("m.sender_id", where.sender_id)):
        if value is not None:
            sql.append(f"AND {column} = ?")
            params.append(value)
    if where.kinds:
        sql.append("AND m.message_type IN (SELECT value FROM json_each(?))")
        params.append(orjson.dumps(sorted(where.kinds)).decode())
    sql.append(f"ORDER BY {table}.rowid DESC LIMIT ?")
    params.append(ranked or limit)
    if ranked:
        sql = ["SELECT * FROM (", *sql, f") ORDER BY {RELEVANCE} LIMIT ?"]
        params.append(limit)
    hits = await db.fetchall(" ".join(sql), params)
    if not hits:
        return []
    rows = {r["id"]: r for r in decoded(await db.fetchall(
        f"{MESSAGE_SELECT} WHERE m.id IN (SELECT value FROM json_each(?))",
        (orjson.dumps([h["id"] for h in hits]).decode(),)))}
    return [dict(rows[h["id"]], room_kind=h["room_kind"]) for h in hits if h["id"] in rows]


async def backfill_step(db: Database, count: int) -> int:
    """Index up to count older messages not indexed yet; returns the id mark left (0: all indexed)."""
    return await db.write(search_index.backfill_step, count)


async def backfill_left(db: Database) -> int:
    """The id mark below which old messages are still to be indexed (0: all indexed)."""
    row = await db.fetchone(f"SELECT {search_index.LEFT} AS n")
    return row["n"] if row and row["n"] else 0
