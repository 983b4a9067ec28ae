"""REST: uploads."""

from aiohttp import web

routes = web.RouteTableDef()
