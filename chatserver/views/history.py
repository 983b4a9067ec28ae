"""REST: message history, as a keyset-paged array or as the DRF page-number envelope."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from .. import rules, shapes
from ..errors import ChatError, not_found
from ..keys import CONFIG, STORE
from ..request import base_url, caller, json, path_id, query_int
from ..fields import parse_id
from ..store import Row
from ..wire import dumps, replayed

routes = web.RouteTableDef()
DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, EVENTS_LIMIT = 50, 20, 1000


async def member_room(request: web.Request) -> tuple[Row, Row]:
    """The caller and the room of the path; 404 unknown room, 403 when not a member."""
    user = await caller(request)
    room = await request.app[STORE].room_for(path_id(request), user["id"])
    return user, rules.check_member(room, user)


@routes.get(r"/api/chat/groups/{id:\d+}/messages/")
@routes.post(r"/api/chat/groups/{id:\d+}/messages/")
async def history(request: web.Request) -> web.Response:
    """Newest first; ?limit=&before= by keyset, ?around= centred on a message, or ?page= as DRF pages."""
    user, room = await member_room(request)
    if "page" in request.query or "page_size" in request.query:
        return await _numbered(request, room, user["id"])
    config = request.app[CONFIG]
    limit = min(query_int(request, "limit", DEFAULT_LIMIT), config.history_limit)
    before, around = query_int(request, "before", None), query_int(request, "around", None)
    store = request.app[STORE]
    if around is None:
        rows = await store.history(room["id"], before, limit)
    elif before is not None:
        raise ChatError("invalid", "Send before or around, not both.",
                        fields={"around": ["Cannot be combined with before."]})
    else:
        rules.check_anchor(await store.get_message(around), room["id"])
        rows = await store.history_around(room["id"], around, limit)
    base = base_url(request)
    return json([shapes.message(r, base, user["id"]) for r in rows])


async def _numbered(request: web.Request, room: Row, user_id: int) -> web.Response:
    try:
        page = query_int(request, "page", 1)
    except ChatError:
        raise not_found("Invalid page.") from None
    try:
        size = query_int(request, "page_size", DEFAULT_PAGE_SIZE)
    except ChatError:
        size = DEFAULT_PAGE_SIZE
    size = min(size, request.app[CONFIG].page_size_max)
    store = request.app[STORE]
    total = await store.message_count(room["id"])
    pages = max(1, -(-total // size))
    if page > pages:
        raise not_found("Invalid page.")
    rows = await store.history_page(room["id"], (page - 1) * size, size)
    base = base_url(request)
    url = URL(base).join(request.rel_url)

    def link(number: int) -> str | None:
        if not 1 <= number <= pages:
            return None
        return str(url.update_query(page=number, page_size=size))

    body: dict[str, Any] = {"count": total, "next": link(page + 1), "previous": link(page - 1),
                            "results": [shapes.message(r, base, user_id) for r in rows]}
    return json(body)


@routes.get(r"/api/chat/groups/{id:\d+}/events/")
async def events(request: web.Request) -> web.Response:
    """The room's events after ?after_seq=N (default 0), as a resumed socket replays them."""
    user, room = await member_room(request)
    after = query_int(request, "after_seq", 0, minimum=0)
    limit = min(query_int(request, "limit", EVENTS_LIMIT), EVENTS_LIMIT)
    store = request.app[STORE]
    last = await store.room_seq(room["id"])
    # Only up to last: an event committed after it was read would have seq > last_seq,
    # and a client resuming from last_seq would get it twice.
    rows = await store.events_after(room["id"], after, max(0, min(limit, last - after)))
    base = base_url(request)
    frames = b",".join(replayed(row, user["id"], base) for row in rows)
    tail = dumps({"last_seq": last, "has_more": bool(rows) and rows[-1]["seq"] < last})
    return web.Response(body=b'{"events":[' + frames + b"]," + tail[1:], content_type="application/json")
