"""The web client's search in headless Chromium: "/" focuses the box, hits grouped by room, a hit opens its room there."""

from __future__ import annotations

import pytest

from browser_support import call, expect, expect_live, register

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts
FILLER = 120  # messages after the hit: more than the client's first page, so the hit is deep in history


def post_all(page, room, member, texts):
    """Sends the texts in order over a socket opened in the page; returns their ids once all are echoed."""
    return page.evaluate(
        """([roomId, token, texts]) => new Promise((resolve, reject) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/${roomId}/?token=${token}`);
            const ids = [];
            ws.onopen = () => texts.forEach((text) => ws.send(JSON.stringify({action: "send_message", message: text})));
            ws.onmessage = (event) => {
                const frame = JSON.parse(event.data);
                if (!frame.action && ids.push(frame.id) === texts.length) { ws.close(); resolve(ids); }
            };
            ws.onerror = reject;
        })""",
        [room["id"], member["token"], texts],
    )


def test_search_box_finds_messages_by_room_and_a_hit_opens_the_room_at_it(live_server, open_page):
    base = live_server.url
    asha, ravi = register(base, "Asha", "Rao"), register(base, "Ravi", "Menon")
    club = call(base, "POST", "chat/create-group/", {"name": "Book club"}, asha["token"])["room"]
    trips = call(base, "POST", "chat/create-group/", {"name": "Trips"}, asha["token"])["room"]
    hidden = call(base, "POST", "chat/create-group/", {"name": "Asha alone"}, asha["token"])["room"]
    for room in (club, trips):
        call(base, "POST", f"chat/group/{room['id']}/add-yourself/", {}, ravi["token"])

    page = open_page(base, ravi["token"])
    expect(page.get_by_test_id("me-name")).to_have_text("Ravi Menon")
    (hit_id,) = post_all(page, club, asha, ["The meeting is on Friday at the library"])
    post_all(page, club, asha, [f"filler {i}" for i in range(FILLER)])
    post_all(page, trips, ravi, ["Meeting point: the <b>station</b> & the bus stop"])
    post_all(page, hidden, asha, ["secret meeting about Ravi's birthday"])

    page.locator("body").press("/")
    expect(page.get_by_test_id("search-input")).to_be_focused()
    page.get_by_test_id("search-input").fill("meeting")
    page.get_by_test_id("search-input").press("Enter")
    groups = page.get_by_test_id("search-group")
    expect(groups).to_have_count(2)
    expect(page.get_by_test_id("search-group-name")).to_have_text(["Trips", "Book club"])  # newest hit first
    expect(page.get_by_test_id("search-results")).not_to_contain_text("secret")
    trips_hit = groups.filter(has_text="Trips").get_by_test_id("search-snippet")
    expect(trips_hit).to_contain_text("<b>station</b> & the bus stop")  # the text as written, never HTML
    expect(trips_hit.locator("b")).to_have_count(0)
    expect(trips_hit.locator("mark")).to_have_text(["Meeting"])
    club_hit = groups.filter(has_text="Book club").get_by_test_id("search-hit")
    expect(club_hit.locator("mark")).to_have_text(["meeting"])

    club_hit.click()
    expect(page.get_by_test_id("room-title")).to_have_text("Book club")
    expect_live(page)
    target = page.locator(f"#message-{hit_id}")
    expect(target).to_have_attribute("data-highlighted", "true")
    expect(target).to_be_in_viewport()
    expect(page.get_by_test_id("message").filter(has_text=f"filler {FILLER - 1}")).to_have_count(0)

    page.get_by_test_id("jump-newest").click()
    newest = page.get_by_test_id("message").filter(has_text=f"filler {FILLER - 1}")
    expect(newest).to_be_in_viewport()
    expect(page.locator("[data-highlighted]")).to_have_count(0)


def test_slash_in_the_composer_is_text_and_an_empty_search_says_why(live_server, open_page):
    base = live_server.url
    asha = register(base, "Asha", "Rao")
    room = call(base, "POST", "chat/create-group/", {"name": "Slashes"}, asha["token"])["room"]
    page = open_page(f"{base}/#room/{room['id']}", asha["token"])
    expect_live(page)
    page.get_by_test_id("message-input").press("/")
    expect(page.get_by_test_id("message-input")).to_have_value("/")
    expect(page.get_by_test_id("search-input")).not_to_be_focused()
    page.get_by_test_id("search-input").fill("  ")
    page.get_by_test_id("search-input").press("Enter")
    expect(page.get_by_test_id("search-status")).to_have_text("Type what to look for.")
    page.get_by_test_id("search-input").fill('""')
    page.get_by_test_id("search-input").press("Enter")
    expect(page.get_by_test_id("search-status")).not_to_have_text("Searching...")
    expect(page.get_by_test_id("search-hit")).to_have_count(0)
    page.get_by_test_id("search-input").press("Escape")
    expect(page.get_by_test_id("search-results")).to_be_hidden()
