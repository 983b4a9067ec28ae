"""Direct messages in the web client: two users, one starting it from the other's name, one blocking."""

from __future__ import annotations

import pytest

from browser_support import call, expect, expect_live, expect_stored, message, register, send

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts


def test_a_direct_message_from_a_members_name_and_a_block_from_the_direct_room(live_server, open_page, open_room):
    asha, ravi = register(live_server.url, "Asha", "Rao"), register(live_server.url, "Ravi", "Menon")
    photo = f"{live_server.url}/static/ravi.png"
    call(live_server.url, "PATCH", "user/me/", {"photo": photo}, ravi["token"])
    group = call(live_server.url, "POST", "chat/create-group/", {"name": "Tea corner", "members": [ravi["user"]["id"]]},
                 asha["token"])["room"]
    them = open_page(live_server.url, ravi["token"])
    expect(them.get_by_test_id("room-item").filter(has_text="Tea corner")).to_be_visible()

    page = open_room(live_server.url, group, asha)
    page.get_by_test_id("members-open").click()
    expect(page.get_by_test_id("members-panel")).to_have_count(1)  # one panel: messaging and moderation together
    members = page.get_by_test_id("member")
    expect(members).to_have_count(2)
    expect(members.filter(has_text="Asha Rao").get_by_test_id("message-member")).to_have_count(0)
    expect(members.filter(has_text="Asha Rao").get_by_test_id("member-role")).to_have_text("owner")
    expect(members.filter(has_text="Ravi Menon").get_by_test_id("make-moderator")).to_be_visible()
    members.filter(has_text="Ravi Menon").get_by_test_id("message-member").click()

    expect(page.get_by_test_id("room-title")).to_have_text("Ravi Menon")
    expect_live(page)
    expect(page.get_by_test_id("leave-room")).to_be_hidden()
    expect(page.get_by_test_id("members-open")).to_be_hidden()
    item = page.get_by_test_id("room-item").filter(has_text="Ravi Menon")
    expect(item.get_by_test_id("room-avatar")).to_have_attribute("src", photo)
    send(page, "Just us two")
    expect_stored(page, "Just us two")

    direct = them.get_by_test_id("room-item").filter(has_text="Asha Rao")  # arrives over Ravi's stream
    expect(direct).to_be_visible()
    direct.click()
    expect(them.get_by_test_id("room-title")).to_have_text("Asha Rao")
    expect(message(them, "Just us two")).to_be_visible()
    block = them.get_by_test_id("block-toggle")
    expect(block).to_have_text("Block Asha")
    block.click()
    expect(block).to_have_text("Unblock Asha")
    assert call(live_server.url, "GET", "user/blocks/", token=ravi["token"])[0]["user"]["id"] == asha["user"]["id"]
    send(page, "Still there?")  # Asha's page still has the direct room open
    expect(page.get_by_test_id("composer-error")).to_contain_text("A block stands between you")
    expect(message(page, "Still there?")).to_have_count(0)

    page.get_by_test_id("room-item").filter(has_text="Tea corner").click()
    expect_live(page)
    page.get_by_test_id("members-open").click()
    page.get_by_test_id("member").filter(has_text="Ravi Menon").get_by_test_id("message-member").click()
    expect(page.get_by_test_id("notice")).to_contain_text("a block stands between you")
    expect(page.get_by_test_id("room-title")).to_have_text("Tea corner")

    block.click()
    expect(block).to_have_text("Block Asha")
    assert call(live_server.url, "GET", "user/blocks/", token=ravi["token"]) == []
    page.get_by_test_id("member").filter(has_text="Ravi Menon").get_by_test_id("message-member").click()
    expect(page.get_by_test_id("room-title")).to_have_text("Ravi Menon")
    expect(message(page, "Just us two")).to_be_visible()
