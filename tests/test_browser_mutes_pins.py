"""The web client's pins bar and mutes, driven in headless Chromium by a room's owner, a moderator and a member."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from browser_support import call, expect, expect_stored, message, register, send

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts


def club(server, name):
    """Olga owns the room, Mo moderates it, Asha is a member; made over REST (and the moderator in the file)."""
    olga, mo, asha = (register(server.url, name) for name in ("Olga", "Mo", "Asha"))
    room = call(server.url, "POST", "chat/create-group/", {"name": name, "members": [mo["user"]["id"], asha["user"]["id"]]},
                olga["token"])["room"]
    with closing(sqlite3.connect(server.workdir / "chat.db")) as conn, conn:
        conn.execute("UPDATE members SET moderator = 1 WHERE room_id = ? AND user_id = ?", (room["id"], mo["user"]["id"]))
    return olga, mo, asha, room


def test_a_moderator_pins_and_mutes_the_member_sees_why_and_the_owner_undoes_both(live_server, open_room):
    olga, mo, asha, room = club(live_server, "Committee")
    a = open_room(live_server.url, room, asha)
    send(a, "the agenda is on the wiki")
    send(a, "and a second thing")
    expect_stored(a, "and a second thing")
    expect(message(a, "the agenda").get_by_test_id("pin")).to_have_count(0)  # members may not pin here
    expect(message(a, "the agenda").get_by_test_id("mute")).to_have_count(0)

    m = open_room(live_server.url, room, mo)
    message(m, "the agenda").get_by_test_id("pin").click()
    for page in (a, m):
        expect(page.get_by_test_id("pins-bar")).to_be_visible()
        expect(page.get_by_test_id("pin-item")).to_have_count(1)
        expect(page.get_by_test_id("pin-item")).to_contain_text("the agenda is on the wiki")
        expect(message(page, "the agenda").get_by_test_id("message-pinned")).to_be_visible()

    message(m, "a second thing").get_by_test_id("mute").click()
    m.get_by_test_id("mute-3600").click()
    expect(m.get_by_test_id("notice")).to_contain_text("Asha is muted until")
    expect(message(m, "a second thing").get_by_test_id("unmute")).to_be_visible()

    send(a, "am I still heard?")  # the page learns of the mute from the refusal
    expect(a.get_by_test_id("composer-muted")).to_contain_text("You are muted in this room until")
    expect(a.get_by_test_id("message-input")).to_be_disabled()
    expect(message(a, "am I still heard?")).to_have_count(0)
    expect(message(m, "am I still heard?")).to_have_count(0)
    a.reload()  # and from the room's mutes when it opens
    expect(a.get_by_test_id("composer-muted")).to_contain_text("You are muted in this room until")
    expect(a.get_by_test_id("pin-item")).to_have_count(1)

    o = open_room(live_server.url, room, olga)
    o.get_by_test_id("pin-remove").click()
    for page in (a, m, o):
        expect(page.get_by_test_id("pins-bar")).to_be_hidden()
        expect(message(page, "the agenda").get_by_test_id("message-pinned")).to_have_count(0)
    message(o, "a second thing").get_by_test_id("unmute").click()
    expect(o.get_by_test_id("notice")).to_contain_text("Asha may write again")
    a.reload()
    expect(a.get_by_test_id("composer-muted")).to_be_hidden()
    send(a, "thank you")
    expect_stored(a, "thank you")
    expect(message(o, "thank you")).to_have_count(1)


def test_members_pin_when_the_room_lets_them(live_server, open_room):
    olga, _, asha, room = club(live_server, "Open pins")
    call(live_server.url, "PATCH", f"chat/edit-group/{room['id']}/", {"members_may_pin": True}, olga["token"])
    a = open_room(live_server.url, room, asha)
    send(a, "pin me")
    expect_stored(a, "pin me")
    message(a, "pin me").get_by_test_id("pin").click()
    expect(a.get_by_test_id("pin-item")).to_contain_text("pin me")
    message(a, "pin me").get_by_test_id("unpin").click()
    expect(a.get_by_test_id("pins-bar")).to_be_hidden()
