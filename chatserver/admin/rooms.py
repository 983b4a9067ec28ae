"""Admin commands on rooms: create one, add members; through the same service as REST."""

from __future__ import annotations

import argparse

from .. import bodies
from ..config import Config
from ..errors import ChatError
from ..membership import Membership
from .access import open_database, refusal, room_by_ref, user_by_email, valid


async def createroom(config: Config, args: argparse.Namespace) -> int:
    """Create a room owned by a user, with more members; prints its id."""
    data = valid(bodies.RoomCreate(), {"name": args.name, "description": args.description})
    async with open_database(config) as store:
        owner = await user_by_email(store, args.owner)
        member_ids = [(await user_by_email(store, email))["id"] for email in args.member]
        try:
            room_id = await Membership(store, config).create(owner["id"], data["name"], data["description"], member_ids)
        except ChatError as exc:
            raise refusal(exc) from None
        room = await store.get_room(room_id)
    print(f"created room id={room_id} name={room['name']} owner={owner['email']} members={room['members_count']}")
    return 0


async def addmember(config: Config, args: argparse.Namespace) -> int:
    """Add users (by e-mail) to a room (by id or name); a running server tells their user streams
    within CHAT_TOKEN_RECHECK seconds."""
    async with open_database(config) as store:
        room = await room_by_ref(store, args.room)
        people = [await user_by_email(store, email) for email in args.email]
        membership = Membership(store, config)
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
