"""A budget of refused requests per client address, spent by every 4xx answer.

An address that keeps sending what the server refuses (malformed or oversized bodies, unknown
paths, wrong passwords past their throttle) is answered 429 before its next request's body is
read, and its connection closed: refusing must cost the server less than asking costs the client.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web

from ..keys import CONFIG, METRICS, REFUSED_REQUESTS
from ..request import client_address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def refusal_budget(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 429 (and close) for an address past its budget; spend it on each 4xx answer."""
    budget = request.app[REFUSED_REQUESTS]
    address = client_address(request)
    if budget.spent(address):
        request.app[METRICS].inc("chat_refused_requests_cut_total")
        wait = max(1, round(1 / request.app[CONFIG].refused_rate))
        response = web.json_response({"detail": "Too many refused requests from this address; slow down.",
                                      "code": "rate_limited", "retry_after": wait}, status=429,
                                     headers={"Retry-After": str(wait)})
        response.force_close()  # the body, however large, is never read
        return response
    response = await handler(request)
    if 400 <= response.status < 500:
        budget.take(address)
    return response
