"""REST: health."""

from aiohttp import web

routes = web.RouteTableDef()
