"""Moderation as clients call it: every moderation endpoint, walked for the OpenAPI document's check."""

from __future__ import annotations


async def documented_moderation_calls(api, owner, member, outsider, room_id: int) -> None:
    """Every moderation endpoint answered as the OpenAPI document says (api: test_openapi's Recorder)."""
    ids, person = {"id": room_id}, {"id": room_id, "user_id": member["id"]}
    await api("POST", "/api/chat/groups/{id}/moderators/", 200, user=owner, ids=ids, json={"user_id": member["id"]})
    await api("POST", "/api/chat/groups/{id}/moderators/", 404, user=owner, ids=ids, json={"user_id": outsider["id"]})
    await api("POST", "/api/chat/groups/{id}/moderators/", 403, user=member, ids=ids, json={"user_id": member["id"]})
    await api("DELETE", "/api/chat/groups/{id}/moderators/{user_id}/", 200, user=owner, ids=person)
    await api("PATCH", "/api/chat/edit-group/{id}/", 200, user=owner, ids=ids, json={"read_only": True})
    await api("PATCH", "/api/chat/edit-group/{id}/", 200, user=owner, ids=ids, json={"read_only": False})
    await api("POST", "/api/chat/groups/{id}/bans/", 201, user=owner, ids=ids,
              json={"user_id": outsider["id"], "reason": "spam"})
    await api("POST", "/api/chat/groups/{id}/bans/", 403, user=member, ids=ids, json={"user_id": outsider["id"]})
    await api("GET", "/api/chat/groups/{id}/bans/", 200, user=owner, ids=ids)
    await api("POST", "/api/chat/group/{id}/add-yourself/", 403, user=outsider, ids=ids)
    await api("DELETE", "/api/chat/groups/{id}/bans/{user_id}/", 200, user=owner,
              ids={"id": room_id, "user_id": outsider["id"]})
    await api("DELETE", "/api/chat/groups/{id}/bans/{user_id}/", 404, user=owner,
              ids={"id": room_id, "user_id": outsider["id"]})
    await api("GET", "/api/chat/groups/{id}/audit/", 200, user=owner, ids=ids, params={"after_id": "0"})
    await api("GET", "/api/chat/groups/{id}/audit/", 400, user=owner, ids=ids, params={"limit": "0"})
    await api("GET", "/api/chat/groups/{id}/audit/", 403, user=member, ids=ids)
    await api("GET", "/api/admin/audit/", 403, user=owner)
    await api("POST", "/api/chat/groups/{id}/bans/", 201, user=owner, ids=ids,
              json={"user_id": outsider["id"], "delete_messages": True})
    await api("DELETE", "/api/chat/groups/{id}/bans/{user_id}/", 200, user=owner,
              ids={"id": room_id, "user_id": outsider["id"]})
