"""Typed keys of everything the application shares."""

from __future__ import annotations

from aiohttp import web

from .accounts import Accounts
from .config import Config
from .fanout.bus import Bus
from .fanout.registry import Registry
from .metrics import Metrics
from .publisher import Publisher
from .rates import UserRates
from .search_backfill import SearchBackfill
from .sessions import Sessions
from .storage.db import Database
from .store import Store

CONFIG = web.AppKey("config", Config)
DB = web.AppKey("db", Database)  # the SQLite file itself: the Store is what the server calls
STORE = web.AppKey("store", Store)
REGISTRY = web.AppKey("registry", Registry)  # this node's sockets: join, leave, follow
BUS = web.AppKey("bus", Bus)  # where events and closings are published: the registry, in one process
PUBLISHER = web.AppKey("publisher", Publisher)
ACCOUNTS = web.AppKey("accounts", Accounts)
SESSIONS = web.AppKey("sessions", Sessions)
METRICS = web.AppKey("metrics", Metrics)
USER_RATES = web.AppKey("user_rates", UserRates)
UPLOAD_RATES = web.AppKey("upload_rates", UserRates)  # uploads per user, apart from messages
REFUSED_REQUESTS = web.AppKey("refused_requests", UserRates)  # 4xx answers per client address
ROOM_LISTS = web.AppKey("room_lists", UserRates)  # room-list fetches per user
SEARCH_BACKFILL = web.AppKey("search_backfill", SearchBackfill)  # indexes messages stored before search
