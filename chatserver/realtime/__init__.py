"""Rooms over WebSocket: the socket handler, its actions, and the user streams."""
