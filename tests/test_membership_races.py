"""Membership changes racing each other and racing socket handshakes: the rules hold at commit time."""

from __future__ import annotations

import asyncio
import sqlite3

from chatserver.keys import DB, REGISTRY
from conftest import close_code, opened_sockets, recv


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


def crowd(path: str, room_id: int, size: int) -> None:
    """Fill a room with members straight in the file (the server is idle meanwhile)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO users (id, email, password_hash, first_name, created_at, updated_at)"
                         " VALUES (?, ?, 'x', 'Crowd', '', '')",
                         ((100_000 + n, f"crowd{n}@example.org") for n in range(size)))
        conn.executemany("INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, '')",
                         ((room_id, 100_000 + n) for n in range(size)))
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_a_member_removed_during_handshakes_keeps_no_socket(make_client, config, tmp_path, register, make_room):
    config = config.replace(max_sockets_per_user=0, max_sockets_per_ip=0, refused_rate=0,  # 300 refused handshakes
                            db=str(tmp_path / "race.db"))
    cl = await make_client(config)
    asha, ravi = await register("Asha", cl=cl), await register("Ravi", cl=cl)
    room = await make_room(asha, cl=cl)
    # A crowded room makes each handshake's membership read (it counts the members) last long
    # enough that the removal commits while one of them runs: that handshake saw a member.
    crowd(config.db, room["id"], 60_000)
    url, members = f"/ws/chat/{room['id']}/?token={ravi.token}", f"/api/chat/groups/{room['id']}/members/"
    for _ in range(8):
        assert (await cl.post(members, json={"user_id": ravi["id"]}, headers=asha.auth)).status == 201
        opening = [asyncio.create_task(cl.ws_connect(url)) for _ in range(20)]
        removal = asyncio.create_task(cl.delete(f"{members}{ravi['id']}/", headers=asha.auth))
        opening += [asyncio.create_task(cl.ws_connect(url)) for _ in range(20)]
        assert (await removal).status == 200
        for ws in await opened_sockets(opening):
            assert await close_code(ws) == 4003, "a removed member kept a socket"
        while cl.app[REGISTRY].rooms.get(room["id"]):  # the closed sockets' handlers finish
            await asyncio.sleep(0.01)


async def test_a_change_queued_before_a_removal_and_written_after_it_is_refused(
        make_client, config, tmp_path, seat_two):
    config = config.replace(db=str(tmp_path / "queued.db"), busy_timeout=10.0)
    cl = await make_client(config)
    asha, ravi, room, ws_a, ws_r = await seat_two(cl)
    [ravi_peer] = [p for p in cl.app[REGISTRY].rooms[room["id"]] if p.user["id"] == ravi["id"]]
    other = sqlite3.connect(config.db, isolation_level=None)  # holds every write of the server back
    other.execute("BEGIN EXCLUSIVE")
    try:
        removal = asyncio.create_task(
            cl.delete(f"/api/chat/groups/{room['id']}/members/{ravi['id']}/", headers=asha.auth))
        while not cl.app[DB].writes_pending:  # wait until the removal's transaction waits for the file
            await asyncio.sleep(0.01)
        await ws_r.send_json({"message": "sent before the removal was written", "client_id": "late"})
        while not ravi_peer.frames_in:  # received, so queued in the publisher behind the removal
            await asyncio.sleep(0.01)
    finally:
        other.rollback()
        other.close()
    assert (await removal).status == 200
    assert await close_code(ws_r) == 4003
    await ws_a.send_json({"message": "after the removal"})  # committed after Ravi's send was settled
    assert (await recv(ws_a))["message"] == "after the removal", "a non-member's change was written"
    history = await (await cl.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).json()
    assert [m["content"] for m in history] == ["after the removal"]
    await ws_a.close()
