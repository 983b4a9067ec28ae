"""Admin commands on rooms: create one, add members; through the same service as REST."""

from __future__ import annotations

import argparse

from .. import bodies
from ..config import Config
from ..errors import ChatError
from ..membership import Membership
from ..storage import rooms
from .access import open_database, refusal, room_by_ref, user_by_email, valid


async def createroom(config: Config, args: argparse.Namespace) -> int:
    """Create a room owned by a user, with more members; prints its id."""
    data = valid(bodies.RoomCreate(), {"name": args.name, "description": args.description})
    async with open_database(config) as db:
        owner = await user_by_email(db, args.owner)
        member_ids = [(await user_by_email(db, email))["id"] for email in args.member]
        try:
            room_id = await Membership(db, config).create(owner["id"], data["name"], data["description"], member_ids)
        except ChatError as exc:
            raise refusal(exc) from None
        room = await rooms.get_room(db, room_id)
    print(f"created room id={room_id} name={room['name']} owner={owner['email']} members={room['members_count']}")
    return 0


async def addmember(config: Config, args: argparse.Namespace) -> int:
    """Add users (by e-mail) to a room (by id or name); a running server tells their user streams
    within CHAT_TOKEN_RECHECK seconds."""
    async with open_database(config) as db:
        room = await room_by_ref(db, args.room)
        people = [await user_by_email(db, email) for email in args.email]
        membership = Membership(db, config)
        for user in people:
            try:
                await membership.add(room["id"], user["id"])
                done = "added to"
            except ChatError as exc:
                if exc.code != "already_member":
                    raise refusal(exc) from None
                done = "already a member of"
            print(f"{user['email']}: {done} {room['name']} (id {room['id']})")
    return 0
