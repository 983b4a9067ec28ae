"""The web client in headless Chromium: private rooms, invite links shared by owners and moderators, kinds switched."""

from __future__ import annotations

import re

import pytest

from browser_support import call, expect, expect_live, expect_stored, message, register, send

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts


def test_an_owner_invites_a_member_to_a_private_room_by_link(live_server, open_page):
    asha, ravi = register(live_server.url, "Asha", "Rao"), register(live_server.url, "Ravi", "Menon")
    owner = open_page(live_server.url, asha["token"])
    owner.get_by_test_id("create-room").click()
    owner.get_by_test_id("create-room-name").fill("committee")
    owner.get_by_test_id("create-room-kind").select_option("private")
    owner.get_by_test_id("create-room-submit").click()
    expect(owner.get_by_test_id("room-title")).to_have_text("committee")
    expect(owner.get_by_test_id("room-kind")).to_have_text("Private room")
    expect(owner.get_by_test_id("room-item").filter(has_text="committee").get_by_test_id("room-kind-badge")) \
        .to_have_text("Private")
    expect_live(owner)

    member = open_page(live_server.url, ravi["token"])
    member.get_by_test_id("browse-rooms").click()
    expect(member.get_by_test_id("all-rooms")).to_contain_text("No rooms yet.")  # a private room is not listed

    owner.get_by_test_id("invite-create").click()
    link = owner.get_by_test_id("invite-link")
    expect(link).to_have_value(f"{live_server.url}/#invite=" + link.input_value().rsplit("=", 1)[1])
    owner.get_by_test_id("invite-copy").click()
    expect(owner.get_by_test_id("invite-copy")).to_have_text("Copied")
    room_id = call(live_server.url, "GET", "chat/groups/", token=asha["token"])[0]["id"]
    [invite] = call(live_server.url, "GET", f"chat/groups/{room_id}/invites/", token=asha["token"])
    assert link.input_value().endswith(invite["code"])

    invited = open_page(link.input_value(), ravi["token"])
    expect(invited.get_by_test_id("room-title")).to_have_text("committee")
    expect_live(invited)
    expect(invited.get_by_test_id("room-kind")).to_have_text("Private room")
    expect(invited.get_by_test_id("room-kind-switch")).to_have_count(0)  # a member switches nothing
    expect(invited.get_by_test_id("invite-create")).to_have_count(0)
    send(invited, "thanks for having me")
    expect_stored(owner, "thanks for having me")
    expect(message(owner, "thanks for having me")).to_be_visible()
    assert call(live_server.url, "GET", f"chat/groups/{room_id}/invites/", token=asha["token"])[0]["uses"] == 1

    owner.get_by_test_id("room-kind-switch").click()
    expect(owner.get_by_test_id("room-kind")).to_have_text("Public room")
    expect(owner.get_by_test_id("room-item").filter(has_text="committee").get_by_test_id("room-kind-badge")) \
        .to_have_count(0)
    assert call(live_server.url, "GET", "chat/groups/list/", token=ravi["token"])[0]["kind"] == "public"


def test_a_dead_invite_link_says_so_and_joins_nothing(live_server, open_page):
    asha, eve = register(live_server.url, "Asha", "Rao"), register(live_server.url, "Eve", "Stone")
    room = call(live_server.url, "POST", "chat/create-group/", {"name": "treasury", "kind": "private"},
                asha["token"])["room"]
    invite = call(live_server.url, "POST", f"chat/groups/{room['id']}/invites/", {}, asha["token"])
    call(live_server.url, "DELETE", f"chat/groups/{room['id']}/invites/{invite['code']}/", token=asha["token"])
    page = open_page(f"{live_server.url}/#invite={invite['code']}", eve["token"])
    expect(page.get_by_test_id("notice")).to_contain_text("has expired, was revoked or is used up")
    expect(page.locator("#my-rooms-empty")).to_be_visible()
    assert call(live_server.url, "GET", "chat/groups/", token=eve["token"]) == []


def test_a_moderator_invites_by_link_and_a_plain_member_cannot(live_server, open_room, open_page):
    base = live_server.url
    asha, mira, ravi, eve = (register(base, "Asha", "Rao"), register(base, "Mira", "Das"),
                             register(base, "Ravi", "Menon"), register(base, "Eve", "Stone"))
    room = call(base, "POST", "chat/create-group/", {"name": "board", "kind": "private",
                                                     "members": [mira["user"]["id"], ravi["user"]["id"]]},
                asha["token"])["room"]
    call(base, "POST", f"chat/groups/{room['id']}/moderators/", {"user_id": mira["user"]["id"]}, asha["token"])

    member = open_room(base, room, ravi)  # a plain member is offered no invite link
    expect(member.get_by_test_id("room-kind")).to_have_text("Private room")
    expect(member.get_by_test_id("invite-create")).to_have_count(0)

    moderator = open_room(base, room, mira)
    expect(moderator.get_by_test_id("room-kind")).to_have_text("Private room")
    expect(moderator.get_by_test_id("room-kind-switch")).to_have_count(0)  # only the owner switches the kind
    moderator.get_by_test_id("invite-create").click()
    link = moderator.get_by_test_id("invite-link")
    expect(link).to_have_value(re.compile(re.escape(f"{base}/#invite=") + r"[A-Za-z0-9_-]+$"))
    [invite] = call(base, "GET", f"chat/groups/{room['id']}/invites/", token=asha["token"])
    assert link.input_value().endswith(invite["code"])

    invited = open_page(link.input_value(), eve["token"])
    expect(invited.get_by_test_id("room-title")).to_have_text("board")
    expect_live(invited)
    expect(invited.get_by_test_id("room-kind")).to_have_text("Private room")  # settings drawn: no invite button
    expect(invited.get_by_test_id("invite-create")).to_have_count(0)
    send(invited, "hello from Eve")
    expect_stored(moderator, "hello from Eve")
    assert call(base, "GET", f"chat/groups/{room['id']}/invites/", token=asha["token"])[0]["uses"] == 1
    assert eve["user"]["id"] in {m["id"] for m in call(base, "GET", f"chat/groups/{room['id']}/members/",
                                                       token=asha["token"])}
