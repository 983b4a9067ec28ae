"""Moderating a room in the web client, in headless Chromium: an owner, a moderator and a member."""

from __future__ import annotations

import pytest

from browser_support import call, expect, expect_live, expect_stored, message, register, send

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts


def member_row(page, user):
    return page.get_by_test_id("member").and_(page.locator(f'[data-user-id="{user["user"]["id"]}"]'))


def open_members(page):
    page.get_by_test_id("members-open").click()
    expect(page.get_by_test_id("members-panel")).to_be_visible()


def test_owner_makes_a_moderator_who_bans_a_member_of_a_read_only_room(live_server, open_room):
    base = live_server.url
    asha, mira, ravi = register(base, "Asha", "Rao"), register(base, "Mira", "Das"), register(base, "Ravi", "Menon")
    room = call(base, "POST", "chat/create-group/", {"name": "Committee",
                                                     "members": [mira["user"]["id"], ravi["user"]["id"]]},
                asha["token"])["room"]

    a = open_room(base, room, asha)  # the owner makes Mira a moderator
    open_members(a)
    expect(member_row(a, asha).get_by_test_id("member-role")).to_have_text("owner")
    expect(member_row(a, asha).get_by_test_id("ban-member")).to_have_count(0)
    member_row(a, mira).get_by_test_id("make-moderator").click()
    expect(member_row(a, mira)).to_have_attribute("data-role", "moderator")
    expect(member_row(a, mira).get_by_test_id("unmake-moderator")).to_be_visible()

    m = open_room(base, room, mira)  # the moderator: remove and ban members, but not the owner; no role changes
    open_members(m)
    expect(member_row(m, ravi).get_by_test_id("ban-member")).to_be_visible()
    expect(member_row(m, ravi).get_by_test_id("remove-member")).to_be_visible()
    expect(member_row(m, asha).get_by_test_id("ban-member")).to_have_count(0)
    expect(m.get_by_test_id("make-moderator")).to_have_count(0)
    expect(m.get_by_test_id("read-only-toggle")).to_be_hidden()

    r = open_room(base, room, ravi)  # a member sees roles and no moderation buttons
    open_members(r)
    expect(member_row(r, mira)).to_have_attribute("data-role", "moderator")
    expect(r.get_by_test_id("ban-member")).to_have_count(0)
    expect(r.get_by_test_id("read-only-note")).to_be_hidden()
    for text in ("first from Ravi", "second from Ravi"):
        send(r, text)
        expect_stored(r, text)
    send(m, "from Mira")
    expect_stored(r, "from Mira")
    expect(message(r, "from Mira").get_by_test_id("delete")).to_have_count(0)  # only his own

    message(m, "first from Ravi").get_by_test_id("delete").click()  # the moderator deletes his message
    message(m, "first from Ravi").get_by_test_id("delete-confirm").click()
    expect(r.get_by_test_id("message-content").filter(has_text="This message was deleted by Mira Das.")).to_have_count(1)

    a.get_by_test_id("read-only-toggle").check()  # the owner makes the room read-only: the member's composer explains
    expect(r.get_by_test_id("read-only-note")).to_be_visible()
    expect(r.get_by_test_id("composer")).to_be_hidden()
    expect(m.get_by_test_id("composer")).to_be_visible()
    assert call(base, "GET", "chat/groups/", token=ravi["token"])[0]["read_only"] is True

    member_row(m, ravi).get_by_test_id("ban-member").click()  # the moderator bans the member, with a reason
    m.get_by_test_id("ban-reason").fill("shouting")
    m.get_by_test_id("ban-delete-messages").check()
    m.get_by_test_id("ban-confirm").click()
    expect(member_row(m, ravi)).to_have_count(0)
    expect(r.get_by_test_id("notice")).to_be_visible()  # his socket was closed (4003)
    bans = call(base, "GET", f"chat/groups/{room['id']}/bans/", token=asha["token"])
    assert [(b["user"]["id"], b["reason"]) for b in bans] == [(ravi["user"]["id"], "shouting")]
    expect(message(a, "second from Ravi")).to_have_count(0)  # his other message went with the ban
    expect(a.get_by_test_id("message-content").filter(has_text="deleted by Mira Das")).to_have_count(2)
    expect_live(a)
