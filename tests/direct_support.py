"""Direct rooms as clients open them."""

from __future__ import annotations


async def open_direct(client, user, other_id: int):
    """Ask for the direct room of user and other_id (found or created); returns the response."""
    return await client.post("/api/chat/direct/", json={"user_id": other_id}, headers=user.auth)
