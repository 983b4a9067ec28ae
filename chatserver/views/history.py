"""REST: history."""

from aiohttp import web

routes = web.RouteTableDef()
