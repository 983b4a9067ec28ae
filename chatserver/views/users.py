"""REST: register, log in and out, the caller's profile, the user list."""

from __future__ import annotations

from aiohttp import web

from .. import schemas, security, shapes
from ..keys import ACCOUNTS, CONFIG, DB, REGISTRY
from ..storage import users
from .request import body, caller, client_address, json

routes = web.RouteTableDef()


@routes.post("/api/user/register/")
async def register(request: web.Request) -> web.Response:
    """Create an account; answers its first token."""
    data = await body(request, schemas.Register())
    user, token = await request.app[ACCOUNTS].register(data)
    return json({"message": "User registered successfully.", "token": token,
                 "user": shapes.user(user)}, status=201)


@routes.post("/api/user/login/")
async def login(request: web.Request) -> web.Response:
    """Trade e-mail and password for a new token."""
    data = await body(request, schemas.Login())
    user, token = await request.app[ACCOUNTS].login(
        data["email"], data["password"], client_address(request))
    return json({"token": token, "message": f"Welcome {user['first_name']}!", "user": shapes.user(user)})


@routes.post("/api/user/logout/")
async def logout(request: web.Request) -> web.Response:
    """Revoke the token of this request, closing the sockets opened with it (4001)."""
    user = await caller(request)
    await users.delete_tokens(request.app[DB], user["id"], [user["token_id"]])
    request.app[REGISTRY].close_token(user["token_id"])
    return json({"message": "Successfully logged out."})


@routes.get("/api/user/me/")
async def me(request: web.Request) -> web.Response:
    """The caller's own user object."""
    return json(shapes.user(await caller(request)))


@routes.patch("/api/user/me/")
async def update_me(request: web.Request) -> web.Response:
    """Change the caller's names, year, photo or password; a new password logs out every other token."""
    user = await caller(request)
    data = await body(request, schemas.ProfileUpdate())
    db, registry = request.app[DB], request.app[REGISTRY]
    if "password" in data:
        password_hash = await security.hash_password(data.pop("password"), request.app[CONFIG].scrypt_n)
        for token_id in await users.set_password(db, user["id"], password_hash, keep_token=user["token_id"]):
            registry.close_token(token_id)
    updated = await users.update_user(db, user["id"], data)
    registry.update_user(updated)  # open sockets send the new name and photo at once
    return json(shapes.user(updated))


@routes.get("/api/user/list/")
async def user_list(request: web.Request) -> web.Response:
    """Every user, briefly."""
    await caller(request)
    return json([shapes.user_brief(u) for u in await users.list_users(request.app[DB])])
