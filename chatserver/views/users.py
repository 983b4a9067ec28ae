"""REST: register, log in and out, the caller's profile, the user list."""

from __future__ import annotations

from aiohttp import web

from .. import bodies, rules, shapes
from ..errors import not_found
from ..keys import ACCOUNTS, CONFIG, REGISTRY, SESSIONS, STORE
from ..request import body, caller, client_address, json, path_id

routes = web.RouteTableDef()


@routes.post("/api/user/register/")
async def register(request: web.Request) -> web.Response:
    """Create an account; answers its first token."""
    data = await body(request, bodies.Register())
    user, token = await request.app[ACCOUNTS].register(data, address=client_address(request))
    return json({"message": "User registered successfully.", "token": token,
                 "user": shapes.user(user)}, status=201)


@routes.post("/api/user/login/")
async def login(request: web.Request) -> web.Response:
    """Trade e-mail and password for a new token."""
    data = await body(request, bodies.Login())
    user, token = await request.app[ACCOUNTS].login(
        data["email"], data["password"], client_address(request))
    return json({"token": token, "message": f"Welcome {user['first_name']}!", "user": shapes.user(user)})


@routes.post("/api/user/logout/")
async def logout(request: web.Request) -> web.Response:
    """Revoke the token of this request, closing the sockets opened with it (4001)."""
    user = await caller(request)
    await _revoke(request, user, user["token_id"])
    return json({"message": "Successfully logged out."})


@routes.get("/api/user/tokens/")
async def tokens(request: web.Request) -> web.Response:
    """The caller's valid tokens: never the token itself, only its first characters."""
    user = await caller(request)
    rows = await request.app[SESSIONS].tokens(user)
    return json([shapes.token(row, current=user["token_id"]) for row in rows])


@routes.delete("/api/user/tokens/{id}/")
async def revoke_token(request: web.Request) -> web.Response:
    """Revoke one of the caller's tokens (404 for any other), closing its sockets (4001)."""
    user = await caller(request)
    if not await _revoke(request, user, path_id(request)):
        raise not_found()
    return json({"message": "Token revoked."})


async def _revoke(request: web.Request, user: dict, token_id: int) -> bool:
    return bool(await request.app[SESSIONS].revoke(user["id"], [token_id]))


@routes.get("/api/user/me/")
async def me(request: web.Request) -> web.Response:
    """The caller's own user object."""
    return json(shapes.user(await caller(request)))


@routes.patch("/api/user/me/")
async def update_me(request: web.Request) -> web.Response:
    """Change the caller's names, year, photo or password (with the current one); a new password
    logs out every other token."""
    user = await caller(request)
    data = await body(request, bodies.ProfileUpdate())
    store, registry = request.app[STORE], request.app[REGISTRY]
    current = data.pop("current_password", None)
    if "password" in data:
        await request.app[ACCOUNTS].change_password(
            user, current, data.pop("password"), client_address(request))
    updated = await store.update_user(user["id"], data)
    registry.update_user(updated)  # open sockets send the new name and photo at once
    return json(shapes.user(updated))


@routes.get("/api/user/list/")
async def user_list(request: web.Request) -> web.Response:
    """Every user, briefly; e-mails only as rules.shows_email allows."""
    user = await caller(request)
    everyone = request.app[CONFIG].show_emails
    return json([shapes.user_brief(u, rules.shows_email(user, u["id"], everyone))
                 for u in await request.app[STORE].list_users()])
