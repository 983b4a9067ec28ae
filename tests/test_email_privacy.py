"""People's e-mails: seen by themselves and site admins only, unless CHAT_SHOW_EMAILS; a taken address not told."""

from __future__ import annotations

from chatserver.accounts import ADDRESS_REFUSED

from conftest import recv_until


async def emails_seen(client, viewer) -> dict[int, str | None]:
    resp = await client.get("/api/user/list/", headers=viewer.auth)
    assert resp.status == 200
    return {user["id"]: user["email"] for user in await resp.json()}


async def test_a_user_sees_only_their_own_email_and_a_site_admin_sees_all(client, register, make_admin):
    asha, ravi, root = await register("Asha"), await register("Ravi"), await make_admin()
    assert await emails_seen(client, asha) == {asha["id"]: asha["email"], ravi["id"]: None, root["id"]: None}
    assert await emails_seen(client, root) == {asha["id"]: asha["email"], ravi["id"]: ravi["email"],
                                               root["id"]: root["email"]}
    me = await (await client.get("/api/user/me/", headers=ravi.auth)).json()
    assert me["email"] == ravi["email"]


async def test_chat_show_emails_shows_them_to_everyone_signed_in(make_client, config, register, tmp_path):
    client = await make_client(config.replace(db=str(tmp_path / "own.db"), show_emails=True))
    asha, ravi = await register("Asha", cl=client), await register("Ravi", cl=client)
    assert await emails_seen(client, asha) == {asha["id"]: asha["email"], ravi["id"]: ravi["email"]}
    assert (await client.get("/api/user/list/")).status == 401


async def test_no_member_list_message_or_frame_carries_an_email(client, register, make_room, connect):
    asha, ravi = await register("Asha"), await register("Ravi")
    room = await make_room(asha, ravi)
    ws = await connect(ravi, room["id"])
    await ws.send_json({"action": "send_message", "message": "hello"})
    frame = await recv_until(ws, lambda f: f.get("message") == "hello")
    members = await (await client.get(f"/api/chat/groups/{room['id']}/members/", headers=asha.auth)).text()
    history = await (await client.get(f"/api/chat/groups/{room['id']}/messages/", headers=asha.auth)).text()
    for seen in (members, history, str(frame)):
        assert asha["email"] not in seen and ravi["email"] not in seen and "email" not in seen


async def test_a_taken_address_is_refused_without_saying_it_is_taken_behind_the_register_limit(
        make_client, config, register, tmp_path):
    client = await make_client(config.replace(db=str(tmp_path / "own.db"), register_rate=2))
    body = {"email": "meera@example.org", "password": "correct horse", "first_name": "Meera"}
    assert (await client.post("/api/user/register/", json=body)).status == 201
    again = await client.post("/api/user/register/", json={**body, "email": "MEERA@example.org"})
    answer = await again.json()
    assert again.status == 400 and answer == {"email": [ADDRESS_REFUSED]}
    assert "exist" not in ADDRESS_REFUSED and "taken" not in ADDRESS_REFUSED and "token" not in answer
    third = await client.post("/api/user/register/", json=body)
    assert third.status == 429  # the limit is checked before the address is looked at
