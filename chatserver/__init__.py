"""chatserver: a self-hosted real-time chat backend on aiohttp and SQLite."""

__version__ = "0.1.0"
