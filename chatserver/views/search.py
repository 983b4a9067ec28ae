"""REST: full-text search over the messages of the caller's rooms."""

from __future__ import annotations

from aiohttp import web

from .. import shapes
from ..errors import ChatError
from ..keys import CONFIG, STORE
from ..request import base_url, caller, json, query_int
from ..search_hits import find
from ..search_query import EmptyQuery, parse

routes = web.RouteTableDef()
ORDERS = ("recent", "relevance")


@routes.get("/api/chat/search/")
async def search(request: web.Request) -> web.Response:
    """?q= with room=, before=, limit=, order=: hits newest first, keyset-paged by before."""
    user = await caller(request)
    config = request.app[CONFIG]
    text = request.query.get("q", "")
    if len(text) > config.search_max_query:
        message = f"A search may be at most {config.search_max_query} characters long."
        raise ChatError("invalid", message, fields={"q": [message]})
    try:
        query = parse(text)
    except EmptyQuery as exc:
        raise ChatError("invalid", str(exc), fields={"q": [str(exc)]}) from None
    order = request.query.get("order", "recent")
    if order not in ORDERS:
        raise ChatError("invalid", "order must be recent or relevance.",
                        fields={"order": ["Must be recent or relevance."]})
    limit = min(query_int(request, "limit", config.search_default_limit), config.search_limit)
    before = query_int(request, "before", None)
    room_id = query_int(request, "room", None)
    ranked = config.search_relevance_window if order == "relevance" else 0
    rows = await find(request.app[STORE], user["id"], query, room_id, before, limit, ranked)
    base = base_url(request)
    results = [{"message": shapes.message(row, base, user["id"]),
                "room": {"id": row["room_id"], "name": row["room_name"], "kind": row["room_kind"]},
                "snippet": row["snippet"]} for row in rows]
    more = order == "recent" and len(rows) == limit
    return json({"results": results, "next_before": rows[-1]["id"] if more else None})
