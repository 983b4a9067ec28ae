"""Membership changes racing each other and racing socket handshakes: the rules hold at commit time."""

from __future__ import annotations

import asyncio



async def test_transfer_to_a_member_who_leaves_at_the_same_moment_never_leaves_a_stranger_owner(
        client, register, make_room, db_rows):
    asha = await register("Asha")
    for _ in range(15):
        ravi = await register("Ravi")
        room = await make_room(asha, ravi)
        transfer, leave = await asyncio.gather(
            client.post(f"/api/chat/group/{room['id']}/transfer-ownership/", json={"new_owner_id": ravi["id"]},
                        headers=asha.auth),
            client.post(f"/api/chat/group/{room['id']}/remove-yourself/", headers=ravi.auth))
        assert sorted([transfer.status, leave.status]) in ([200, 400], [200, 403]), "both cannot happen"
        [(owner,)] = db_rows("SELECT owner_id FROM rooms WHERE id = ?", (room["id"],))
        assert db_rows("SELECT 1 FROM members WHERE room_id = ? AND user_id = ?", (room["id"], owner)) == [(1,)], \
            "the room is owned by a non-member"
