"""The web client in headless Chromium: a private room made, an invite link shared and accepted, the kind switched."""

from __future__ import annotations

from browser_support import call, register
from test_browser import (  # noqa: F401 (fixtures shared with the other browser tests)
    browser, browser_present, expect, expect_live, expect_stored, message, open_page, send, server)


def test_an_owner_invites_a_member_to_a_private_room_by_link(server, open_page):
    asha, ravi = register(server.url, "Asha", "Rao"), register(server.url, "Ravi", "Menon")
    owner = open_page(server.url, asha["token"])
    owner.get_by_test_id("create-room").click()
    owner.get_by_test_id("create-room-name").fill("committee")
    owner.get_by_test_id("create-room-kind").select_option("private")
    owner.get_by_test_id("create-room-submit").click()
    expect(owner.get_by_test_id("room-title")).to_have_text("committee")
    expect(owner.get_by_test_id("room-kind")).to_have_text("Private room")
    expect(owner.get_by_test_id("room-item").filter(has_text="committee").get_by_test_id("room-kind-badge")) \
        .to_have_text("Private")
    expect_live(owner)

    member = open_page(server.url, ravi["token"])
    member.get_by_test_id("browse-rooms").click()
    expect(member.get_by_test_id("all-rooms")).to_contain_text("No rooms yet.")  # a private room is not listed

    owner.get_by_test_id("invite-create").click()
    link = owner.get_by_test_id("invite-link")
    expect(link).to_have_value(f"{server.url}/#invite=" + link.input_value().rsplit("=", 1)[1])
    owner.get_by_test_id("invite-copy").click()
    expect(owner.get_by_test_id("invite-copy")).to_have_text("Copied")
    room_id = call(server.url, "GET", "chat/groups/", token=asha["token"])[0]["id"]
    [invite] = call(server.url, "GET", f"chat/groups/{room_id}/invites/", token=asha["token"])
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
    assert call(server.url, "GET", f"chat/groups/{room_id}/invites/", token=asha["token"])[0]["uses"] == 1

    owner.get_by_test_id("room-kind-switch").click()
    expect(owner.get_by_test_id("room-kind")).to_have_text("Public room")
    expect(owner.get_by_test_id("room-item").filter(has_text="committee").get_by_test_id("room-kind-badge")) \
        .to_have_count(0)
    assert call(server.url, "GET", "chat/groups/list/", token=ravi["token"])[0]["kind"] == "public"


def test_a_dead_invite_link_says_so_and_joins_nothing(server, open_page):
    asha, eve = register(server.url, "Asha", "Rao"), register(server.url, "Eve", "Stone")
    room = call(server.url, "POST", "chat/create-group/", {"name": "treasury", "kind": "private"}, asha["token"])["room"]
    invite = call(server.url, "POST", f"chat/groups/{room['id']}/invites/", {}, asha["token"])
    call(server.url, "DELETE", f"chat/groups/{room['id']}/invites/{invite['code']}/", token=asha["token"])
    page = open_page(f"{server.url}/#invite={invite['code']}", eve["token"])
    expect(page.get_by_test_id("notice")).to_contain_text("has expired, was revoked or is used up")
    expect(page.locator("#my-rooms-empty")).to_be_visible()
    assert call(server.url, "GET", "chat/groups/", token=eve["token"]) == []
