"""Rooms over WebSocket: the registry of open sockets, the socket handler, the actions."""
