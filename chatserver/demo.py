"""`--demo`: a few users and rooms (made once, found again later), printed with fresh tokens."""

from __future__ import annotations

from aiohttp import web

from .keys import ACCOUNTS, SESSIONS, STORE

PASSWORD = "demo-password"
USERS = [("asha@example.org", "Asha", "Rao"), ("ravi@example.org", "Ravi", "Kumar"),
         ("meera@example.org", "Meera", "Shah")]
ROOMS = [("general", "Everyone, everything"), ("2nd_year", "Second-year members")]


async def seed_demo(app: web.Application, runner: web.AppRunner) -> None:
    """Create what is missing and print credentials and a WebSocket URL."""
    store, accounts = app[STORE], app[ACCOUNTS]
    people = []
    for email, first, last in USERS:
        row = await store.get_login(email)
        if row is None:
            row, _ = await accounts.register(
                {"email": email, "password": PASSWORD, "first_name": first, "last_name": last},
                by_admin=True)
        people.append((row, await app[SESSIONS].issue_token(row["id"])))
    existing = {r["name"]: r for r in await store.list_rooms()}
    room_ids = []
    for name, description in ROOMS:
        if name in existing:
            room_ids.append(existing[name]["id"])
            for row, _ in people:
                await store.add_member(existing[name]["id"], row["id"])
        else:
            room_ids.append(await store.create_room(name=name, description=description, owner_id=people[0][0]["id"],
                member_ids=[row["id"] for row, _ in people]))
    host, port = runner.addresses[0][:2]
    lines = ["", "Demo users (password: %s):" % PASSWORD]
    lines += [f"  {row['email']:<20} id={row['id']:<3} token={token}" for row, token in people]
    lines += ["Demo rooms: " + ", ".join(f"{name} (id {rid})" for (name, _), rid in zip(ROOMS, room_ids)),
              "Connect:", f"  ws://{host}:{port}/ws/chat/{room_ids[0]}/?token={people[0][1]}",
              f"Web client: http://{host}:{port}/", ""]
    print("\n".join(lines), flush=True)
