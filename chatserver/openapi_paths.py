"""Every path of the OpenAPI document: one entry per REST endpoint, in the order of docs/API.md."""

from __future__ import annotations

from . import bodies
from .config import Config
from .openapi_bodies import body_schema, field_schema
from .openapi_invites import invite_paths
from .openapi_moderation import moderation_paths
from .openapi_mutes_pins import mute_paths, pin_paths, suspension_paths
from .openapi_parts import ID, TEXT, TIME, URL, Schema, answer, body, nullable, obj, op, path, query, ref

ROOM_ID = path()
Q = query("q", field_schema(bodies.Search().fields["q"]),
          "Part of the name to look for (any case); empty lists all.")
ARRAY = {"type": "array"}


def _user_paths() -> dict[str, Schema]:
    register, login = body_schema(bodies.Register), body_schema(bodies.Login)
    profile = body_schema(bodies.ProfileUpdate, {
        "current_password": "Required with `password`: the password it replaces."}, minProperties=0)
    token = obj({"id": ID, "prefix": {"type": "string", "description": "The token's first 6 characters."},
                 "created_at": TIME, "last_used_at": nullable(TIME),
                 "address": nullable({"type": "string", "description": "The client address it was last used from."}),
                 "is_current": {"type": "boolean", "description": "The token of this request."}})
    return {
        "/api/user/register/": {"post": op(
            "Register", "accounts", (201, "The new user and a first token.", ref("AuthAnswer")), (403, 429),
            body(register), public=True)},
        "/api/user/login/": {"post": op(
            "Log in", "accounts", (200, "A new token (each device holds its own).", ref("AuthAnswer")),
            (401, 429), body(login), public=True)},
        "/api/user/logout/": {"post": op(
            "Log out", "accounts", (200, "The token used is revoked; sockets opened with it close (4001).",
                                    ref("Confirmation")))},
        "/api/user/me/": {
            "get": op("Who am I", "accounts", (200, "The caller.", ref("User"))),
            "patch": op("Update my profile", "accounts", (200, "The caller, changed.", ref("User")),
                        (401, 429), request=body(profile))},
        "/api/user/tokens/": {"get": op(
            "My tokens", "accounts", (200, "The caller's valid tokens, oldest first; never a whole token.",
                                      {**ARRAY, "items": token}))},
        "/api/user/tokens/{id}/": {"delete": op(
            "Revoke a token", "accounts", (200, "Revoked; sockets opened with it close (4001).", ref("Confirmation")),
            (401, 404), params=[path("id", "The token's id (from the token list).")])},
        "/api/user/list/": {"get": op(
            "List users", "accounts", (200, "Every user, briefly.", {**ARRAY, "items": ref("UserBrief")}))},
    }


def _room_paths() -> dict[str, Schema]:
    create = body_schema(bodies.RoomCreate)
    edit = body_schema(bodies.RoomUpdate, {"members": "The new member list; the owner always stays."})
    rooms = (200, "Rooms.", {**ARRAY, "items": ref("Room")})
    room = ref("RoomAnswer")
    return {
        "/api/chat/groups/": {"get": op(
            "My rooms", "rooms", (200, "Rooms the caller belongs to, with unread counts.",
                                  {**ARRAY, "items": ref("JoinedRoom")}), (401, 429))},
        "/api/chat/groups/list/": {"get": op("Every room", "rooms", rooms)},
        "/api/chat/groups/search/": {"get": op("Search rooms", "rooms", rooms, (400, 401), params=[Q])},
        "/api/chat/create-group/": {"post": op(
            "Create a room", "rooms", (201, "The room; the caller owns it.", room), request=body(create))},
        "/api/chat/edit-group/{id}/": {
            method: op(f"Edit a room ({method.upper()})", "rooms", (200, "The room, changed.", room),
                       (401, 403, 404), body(edit), [ROOM_ID]) for method in ("put", "patch")},
        "/api/chat/delete-group/{id}/": {"delete": op(
            "Delete a room", "rooms", (200, "Deleted; its sockets close (4004).", ref("Confirmation")),
            (401, 403, 404), params=[ROOM_ID])},
        "/api/chat/group/{id}/add-yourself/": {"post": op(
            "Join a room", "rooms", (200, "Joined.", room), (400, 401, 403, 404), params=[ROOM_ID])},
        "/api/chat/group/{id}/remove-yourself/": {"post": op(
            "Leave a room", "rooms", (200, "Left; the caller's sockets in it close (4003).", ref("Confirmation")),
            (400, 401, 403, 404), params=[ROOM_ID])},
        "/api/chat/group/{id}/transfer-ownership/": {"post": op(
            "Transfer ownership", "rooms", (200, "The room with its new owner.", room), (401, 403, 404),
            body(body_schema(bodies.TransferOwnership)), [ROOM_ID])},
        "/api/chat/groups/{id}/mark-as-read/": {"post": op(
            "Mark a room as read", "rooms", (200, "The read position is the newest message.", ref("Confirmation")),
            (401, 403, 404), params=[ROOM_ID])},
    }


def _member_paths() -> dict[str, Schema]:
    listing = (200, "Members, by name.", {**ARRAY, "items": ref("RoomMember")})
    return {
        "/api/chat/groups/{id}/members/": {
            "get": op("List members", "members", listing, (401, 403, 404), params=[ROOM_ID]),
            "post": op("Add a member", "members", (201, "Added.", obj({"message": TEXT, "member": ref("RoomMember")})),
                       (401, 403, 404), body(body_schema(bodies.AddMember)), [ROOM_ID])},
        "/api/chat/groups/{id}/members/{user_id}/": {"delete": op(
            "Remove a member", "members", (200, "Removed; their sockets in the room close (4003).", ref("Confirmation")),
            (401, 403, 404), params=[ROOM_ID, path("user_id", "The member's user id.")])},
        "/api/chat/groups/{id}/search/members/": {"get": op(
            "Search members", "members", listing, (400, 401, 403, 404), params=[ROOM_ID, Q])},
    }


def _direct_paths() -> dict[str, Schema]:
    other = body(body_schema(bodies.OtherUser, {"user_id": "The other user."}))
    opened = op("Open a direct room", "rooms", (200, "The direct room of the caller and user_id, found.",
                                                ref("RoomAnswer")), (401, 403), other)
    opened["responses"]["201"] = answer("Created by this call, with both users as its members.", ref("RoomAnswer"))
    blocked = op("Block a user", "accounts", (200, "The block stood already.", ref("Confirmation")), (401,), other)
    blocked["responses"]["201"] = answer("Blocked by this call.", ref("Confirmation"))
    return {
        "/api/chat/direct/": {"post": opened},
        "/api/user/blocks/": {
            "get": op("My blocks", "accounts", (200, "The users the caller blocks, oldest block first.",
                                                {**ARRAY, "items": ref("Block")})),
            "post": blocked},
        "/api/user/blocks/{user_id}/": {"delete": op(
            "Unblock a user", "accounts", (200, "The block is lifted.", ref("Confirmation")), (401, 404),
            params=[path("user_id", "The blocked user's id.")])},
    }


def _message_paths(config: Config) -> dict[str, Schema]:
    positive = {"type": "integer", "minimum": 1}
    params = [ROOM_ID,
              query("limit", positive, "Messages per page without page/page_size (default 50, above 200 served as 200)."),
              query("before", positive, "Only messages with an id below this (keyset paging back)."),
              query("around", positive, "The page centred on this message of the room (404 if it is not one,"
                                        " or was deleted); not with before."),
              query("page", positive, "Page number: answers the DRF envelope instead of an array."),
              query("page_size", positive, "With page: messages per page (default 20, above 100 served as 100).")]
    history = (200, "Newest first: an array, or with page/page_size the DRF page envelope.",
               {"anyOf": [{**ARRAY, "items": ref("Message")}, ref("MessagePage")]})
    upload = obj({"attachment": {"type": "string", "contentMediaType": "application/octet-stream"},
                  "content": {"type": "string", "maxLength": config.max_message_length},
                  "parent_message": {"type": "string", "pattern": "^[0-9]+$"}}, ["attachment"])
    return {
        "/api/chat/groups/{id}/messages/": {
            method: op(f"Message history ({method.upper()})", "messages", history, (400, 401, 403, 404),
                       params=params) for method in ("get", "post")},
        "/api/chat/groups/{id}/events/": {"get": op(
            "Events after a seq", "messages", (200, "Room events in seq order, as a resumed socket replays them.",
                                               ref("Events")), (400, 401, 403, 404),
            params=[ROOM_ID, query("after_seq", {"type": "integer", "minimum": 0}, "Events with seq above this (default 0)."),
                    query("limit", {"type": "integer", "minimum": 1}, "At most this many (default and maximum 1000).")])},
        "/api/chat/search/": {"get": op(
            "Search messages", "messages", (200, "Hits in the caller's rooms, newest first (or by relevance).",
                                            _search_results()), (400, 401, 429), params=[
                query("q", {"type": "string", "maxLength": config.search_max_query},
                      "Words, \"phrases\", prefix*, from:<user id or e-mail>, in:<room id>, has:file, has:image.",
                      required=True),
                query("room", positive, "Only this room's messages."),
                query("before", positive, "Only messages with an id below this (keyset paging back)."),
                query("limit", positive, f"Hits per page (default {config.search_default_limit},"
                                         f" above {config.search_limit} served as {config.search_limit})."),
                query("order", {"enum": ["recent", "relevance"]}, "recent (default, keyset-paged) or relevance.")])},
        "/api/chat/groups/{id}/messages/upload/": {"post": op(
            "Upload an attachment", "messages", (201, "The stored message, also broadcast to the room.", ref("Message")),
            (401, 403, 404, 429, 503, 507), body(upload, "multipart/form-data"), [ROOM_ID])},
    }


def _search_results() -> Schema:
    snippet = obj({"text": TEXT, "highlights": {**ARRAY, "items": {
        **ARRAY, "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}}}, ["text", "highlights"])
    room = obj({"id": ID, "name": TEXT, "kind": {"enum": ["public", "private", "direct"]}}, ["id", "name", "kind"])
    hit = obj({"message": ref("Message"), "room": room, "snippet": snippet}, ["message", "room", "snippet"])
    return obj({"results": {**ARRAY, "items": hit}, "next_before": nullable(ID)}, ["results", "next_before"])


def _server_paths() -> dict[str, Schema]:
    health = obj({"status": {"const": "ok"}})
    down = {"description": "The database does not answer, or does not take writes.", "content": {"application/json": {"schema": obj(
        {"status": {"const": "unavailable"}, "detail": TEXT})}}}
    text = {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {"schema": TEXT}}}
    socket = op("Open a room's WebSocket", "server", (101, "Switching protocols.", TEXT), (401, 403, 404, 429), params=[
        path("room_id"), query("token", TEXT, "The key (or send Authorization: Token <key>)."),
        query("after_seq", {"type": "integer", "minimum": 0}, "Replay the room's events after this seq first.")])
    socket["description"] = ("Upgrade to a WebSocket. Client frames: the ClientFrame_* schemas; server frames: the "
                             "ServerFrame_* schemas. Refusals come before the upgrade, as JSON.")
    socket["responses"]["101"] = {"description": "Switching protocols."}
    stream = op("Open the caller's stream of room activity", "server", (101, "Switching protocols.", TEXT),
                (401, 429), params=[query("token", TEXT, "The key (or send Authorization: Token <key>).")])
    stream["description"] = ("Upgrade to a WebSocket that only tells: ServerFrame_room_activity for every event "
                             "in the caller's rooms, ServerFrame_rooms_changed when those rooms change, "
                             "ServerFrame_room_read when the caller marked a room as read.")
    stream["responses"]["101"] = {"description": "Switching protocols."}
    return {
        "/healthz": {"get": {**op("Health", "server", (200, "The database answers.", health), (), public=True),
                             "responses": {"200": {"description": "The database answers.", "content": {
                                 "application/json": {"schema": health}}}, "503": down}}},
        "/metrics": {"get": {**op("Metrics", "server", (200, "", TEXT), (), public=True),
                             "description": "Only for CHAT_METRICS_ALLOW addresses, or with"
                                            " `Authorization: Bearer <CHAT_METRICS_TOKEN>`; others get 403.",
                             "responses": {"200": text, "403": answer("Not an allowed address.", ref("Error"))}}},
        "/api/config/": {"get": op("Client limits", "server", (200, "What a client must keep to, as this server is set.",
                                                            ref("ClientConfig")), (), public=True)},
        "/api/schema/": {"get": op("This document", "server", (200, "OpenAPI 3.1.", {"type": "object"}), (), public=True)},
        "/ws/chat/{room_id}/": {"get": socket},
        "/ws/user/": {"get": stream},
    }


def paths(config: Config) -> dict[str, Schema]:
    """Every REST path with its operations, its limits those of config."""
    return {**_user_paths(), **_room_paths(), **_member_paths(), **invite_paths(), **moderation_paths(),
            **_direct_paths(), **_message_paths(config), **_server_paths(), **suspension_paths(), **mute_paths(),
            **pin_paths()}
