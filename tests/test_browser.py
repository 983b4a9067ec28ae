"""The web client in headless Chromium against a live server: two members chatting end to end."""

from __future__ import annotations

import base64
import re

import pytest

from browser_support import (CuttableProxy, LiveServer, call, expect, expect_live, expect_stored, message, register,
                             send, shared_room)

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts
LIVE_MS = 5_000  # what "live" allows; the client has no timer that would catch up within it
# A 2x2 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


def sign_up(page, first_name, last_name, email):
    page.get_by_test_id("show-register").click()
    page.get_by_test_id("register-first-name").fill(first_name)
    page.get_by_test_id("register-last-name").fill(last_name)
    page.get_by_test_id("register-email").fill(email)
    page.get_by_test_id("register-password").fill("correct horse battery")
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("me-name")).to_have_text(f"{first_name} {last_name}")


def send_at_once(page, room, member, prefix, total):
    """Sends "<prefix> 1" .. "<prefix> <total>" back to back over a socket opened in the page; returns once all are echoed."""
    page.evaluate(
        """([roomId, token, prefix, total]) => new Promise((resolve, reject) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/${roomId}/?token=${token}`);
            let echoed = 0;
            ws.onopen = () => { for (let i = 1; i <= total; i++) ws.send(JSON.stringify({action: "send_message", message: `${prefix} ${i}`})); };
            ws.onmessage = (event) => { if (!JSON.parse(event.data).action && ++echoed === total) { ws.close(); resolve(); } };
            ws.onerror = reject;
        })""",
        [room["id"], member["token"], prefix, total],
    )


def test_two_members_chat_live_and_history_survives_reload(live_server, open_page):
    """Two windows of one browser, as the README tells a newcomer to try."""
    asha = open_page(live_server.url)
    sign_up(asha, "Asha", "Rao", "asha@example.org")
    ravi = open_page(live_server.url, beside=asha)
    expect(ravi.get_by_test_id("me-name")).to_have_text("Asha Rao")  # a new window takes the last log-in
    ravi.get_by_test_id("switch-account").click()
    sign_up(ravi, "Ravi", "Menon", "ravi@example.org")

    asha.get_by_test_id("create-room").click()
    asha.get_by_test_id("create-room-name").fill("Book club")
    asha.get_by_test_id("create-room-submit").click()
    expect(asha.get_by_test_id("room-title")).to_have_text("Book club")
    expect_live(asha)

    ravi.get_by_test_id("browse-rooms").click()
    ravi.get_by_test_id("browse-item").filter(has_text="Book club").get_by_test_id("join-room").click()
    expect(ravi.get_by_test_id("room-title")).to_have_text("Book club")
    expect_live(ravi)

    send(asha, "Hello from Asha")
    expect(message(ravi, "Hello from Asha").get_by_test_id("message-sender")).to_have_text("Asha Rao")

    ravi.get_by_test_id("message-input").press_sequentially("Hi the")
    expect(asha.get_by_test_id("typing")).to_have_text("Ravi is typing...")
    ravi.get_by_test_id("message-input").press_sequentially("re")
    ravi.get_by_test_id("message-input").press("Enter")
    expect(message(asha, "Hi there")).to_have_count(1)
    expect(asha.get_by_test_id("typing")).to_have_text("")

    mine = message(asha, "Hello from Asha")
    mine.get_by_test_id("edit").click()
    mine_editing = asha.locator("li[data-testid=message]", has=asha.get_by_test_id("edit-input"))
    mine_editing.get_by_test_id("edit-input").fill("Hello from Asha, edited")
    mine_editing.get_by_test_id("edit-save").click()
    edited = message(ravi, "Hello from Asha, edited")
    expect(edited.get_by_test_id("message-edited")).to_be_visible()

    edited.get_by_test_id("react").click()
    edited.get_by_test_id("react-Like").click()
    expect(message(asha, "Hello from Asha, edited").get_by_test_id("reaction-Like")).to_have_attribute("data-count", "1")
    message(asha, "Hello from Asha, edited").get_by_test_id("reaction-Like").click()  # Asha adds hers
    expect(edited.get_by_test_id("reaction-Like")).to_have_attribute("data-count", "2")

    send(asha, "A message to delete")
    expect_stored(asha, "A message to delete")
    doomed = message(asha, "A message to delete")
    doomed_id = doomed.get_attribute("data-message-id")
    doomed.get_by_test_id("delete").click()
    asha.locator(f"#message-{doomed_id}").get_by_test_id("delete-confirm").click()
    gone = ravi.locator(f"#message-{doomed_id}")
    expect(gone).to_have_attribute("data-deleted", "true")
    expect(gone).to_contain_text("This message was deleted.")

    ravi.reload()
    expect(ravi.get_by_test_id("room-title")).to_have_text("Book club")
    expect(ravi.get_by_test_id("message")).to_have_count(3)
    expect(message(ravi, "Hello from Asha, edited").get_by_test_id("reaction-Like")).to_have_attribute("data-count", "2")
    expect(message(ravi, "Hi there").get_by_test_id("message-sender")).to_have_text("Ravi Menon")
    expect(ravi.locator(f"#message-{doomed_id}")).to_have_attribute("data-deleted", "true")

    ravi.get_by_test_id("logout").click()
    expect(ravi.get_by_test_id("login-form")).to_be_visible()
    ravi.get_by_test_id("login-email").fill("ravi@example.org")
    ravi.get_by_test_id("login-password").fill("correct horse battery")
    ravi.get_by_test_id("login-submit").click()
    expect(ravi.get_by_test_id("room-item").filter(has_text="Book club")).to_be_visible()


def list_beside_sender(live_server, open_page, open_room, name):
    """Ravi's page showing a shared room in his list (nothing unread) and Asha's page with it open:
    (ravi, room, Ravi's page, the room's list item, Asha's page)."""
    asha, ravi, room = shared_room(live_server.url, name)
    page = open_page(live_server.url, ravi["token"])
    item = page.get_by_test_id("room-item").filter(has_text=name)
    expect(item).to_be_visible()
    expect(item.get_by_test_id("unread-count")).to_have_count(0)
    return ravi, room, page, item, open_room(live_server.url, room, asha)


def test_unread_counts_in_the_room_list(live_server, open_page, open_room):
    _, _, page, item, sender = list_beside_sender(live_server, open_page, open_room, "Unread corner")
    send(sender, "one")
    send(sender, "two")
    expect_stored(sender, "two")
    page.reload()
    expect(item.get_by_test_id("unread-count")).to_have_text("2")

    item.click()
    expect(message(page, "two")).to_be_visible()
    expect(item.get_by_test_id("unread-count")).to_have_count(0)


def test_the_room_list_stays_live_without_reloading(live_server, open_page, open_room):
    """Unread counts, new rooms and read marks arrive over the user's stream, not a reload or a poll."""
    ravi, room, page, item, sender = list_beside_sender(live_server, open_page, open_room, "Live corner")
    send(sender, "one")
    expect(item.get_by_test_id("unread-count")).to_have_text("1", timeout=LIVE_MS)
    send(sender, "two")
    expect(item.get_by_test_id("unread-count")).to_have_text("2", timeout=LIVE_MS)
    expect(item).to_contain_text("Asha: two", timeout=LIVE_MS)

    call(live_server.url, "POST", "chat/create-group/", {"name": "Surprise party", "members": [ravi["user"]["id"]]},
         register(live_server.url, "Chen")["token"])
    expect(page.get_by_test_id("room-item").filter(has_text="Surprise party")).to_be_visible(timeout=LIVE_MS)

    phone = open_page(f"{live_server.url}/#room/{room['id']}", ravi["token"])  # Ravi reads the room elsewhere
    expect(message(phone, "two")).to_be_visible()
    expect(item.get_by_test_id("unread-count")).to_have_count(0, timeout=LIVE_MS)


def test_mention_picker_reply_and_image_upload(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Photo club")
    a, r = open_room(live_server.url, room, asha), open_room(live_server.url, room, ravi)

    a.get_by_test_id("message-input").press_sequentially("look @Ra")
    option = a.get_by_test_id("mention-option")
    expect(option).to_have_text(["Ravi Menon"])
    a.get_by_test_id("message-input").press("Enter")
    expect(a.get_by_test_id("message-input")).to_have_value("look @Ravi ")
    a.get_by_test_id("message-input").press_sequentially("at this")
    a.get_by_test_id("message-input").press("Enter")

    mentioned = message(r, "look @Ravi at this")
    expect(mentioned).to_have_class("message mentions-me")
    history = call(live_server.url, "GET", f"chat/groups/{room['id']}/messages/", token=ravi["token"])
    assert history[0]["mentions"] == [ravi["user"]["id"]]

    mentioned.get_by_test_id("reply").click()
    expect(r.get_by_test_id("reply-bar")).to_contain_text("Asha Rao: look @Ravi at this")
    send(r, "nice one")
    expect(message(a, "nice one").get_by_test_id("message-quote")).to_contain_text("Asha Rao: look @Ravi at this")
    message(a, "look @Ravi at this").get_by_test_id("edit").click()
    a.get_by_test_id("edit-input").fill("look @Ravi at this one")
    a.get_by_test_id("edit-input").press("Enter")
    expect(message(r, "nice one").get_by_test_id("message-quote")).to_contain_text("at this one")

    r.get_by_test_id("attachment-input").set_input_files({"name": "dot.png", "mimeType": "image/png", "buffer": PNG})
    image = a.get_by_test_id("message-image")
    expect(image).to_have_count(1)
    a.wait_for_function("() => document.querySelector('[data-testid=message-image]').naturalWidth === 2")
    r.get_by_test_id("attachment-input").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"minutes of the meeting"})
    expect(a.get_by_test_id("message-file")).to_have_count(1)


def test_a_reply_quotes_a_parent_older_than_the_loaded_page(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Long memory")
    page = open_room(live_server.url, room, ravi)
    page.evaluate(
        """([roomId, token, total]) => new Promise((resolve, reject) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/${roomId}/?token=${token}`);
            let first = null, echoed = 0;
            ws.onopen = () => ws.send(JSON.stringify({message: "where it began"}));
            ws.onmessage = (event) => {
                const frame = JSON.parse(event.data);
                if (frame.action) return;
                echoed += 1;
                if (first === null) {
                    first = frame.id;
                    for (let i = 1; i <= total; i++) ws.send(JSON.stringify({message: `filler ${i}`}));
                    ws.send(JSON.stringify({message: "back to the start", parent_message_id: first}));
                } else if (echoed === total + 2) { ws.close(); resolve(); }
            };
            ws.onerror = reject;
        })""",
        [room["id"], asha["token"], 55],
    )
    page.reload()
    expect(page.get_by_test_id("message")).to_have_count(50)
    expect(message(page, "where it began")).to_have_count(0)
    quote = message(page, "back to the start").get_by_test_id("message-quote")
    expect(quote).to_contain_text("Asha Rao: where it began")


def test_scrolling_back_loads_older_pages_without_gaps(live_server, open_room):
    asha, _, room = shared_room(live_server.url, "Archive")
    page = open_room(live_server.url, room, asha)
    send_at_once(page, room, asha, "old", 120)
    page.reload()
    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(50)
    expect(messages.last).to_contain_text("old 120")
    page.get_by_test_id("load-older").click()
    expect(messages).to_have_count(100)
    page.get_by_test_id("messages").hover()
    page.mouse.wheel(0, -10_000)  # reaching the top loads the rest
    expect(messages).to_have_count(120)
    expect(page.get_by_test_id("load-older")).to_be_hidden()
    texts = messages.locator("[data-testid=message-content]").all_inner_texts()
    assert texts == [f"old {i}" for i in range(1, 121)]


def test_reconnects_after_a_network_drop_and_loses_nothing(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Flaky wifi")
    proxy = CuttableProxy(live_server.port)
    try:
        a, r = open_room(proxy.url, room, asha), open_room(live_server.url, room, ravi)
        send(r, "before the drop")
        expect(message(a, "before the drop")).to_be_visible()

        proxy.cut()
        expect(a.get_by_test_id("connection-status")).to_have_text("Reconnecting...")
        send(r, "while you were away 1")
        send(r, "while you were away 2")
        before = message(r, "before the drop")
        before.get_by_test_id("react").click()
        before.get_by_test_id("react-Heart").click()
        expect_stored(r, "while you were away 2")
        send(a, "sent while offline")
        expect(a.get_by_test_id("composer-error")).to_contain_text("Offline")

        proxy.restore()
        expect_live(a, timeout=15_000)
        for text in ("while you were away 1", "while you were away 2", "sent while offline"):
            expect(message(a, text)).to_have_count(1)
            expect(message(r, text)).to_have_count(1)
        expect(message(a, "before the drop").get_by_test_id("reaction-Heart")).to_have_attribute("data-count", "1")
        expect(a.locator("[data-pending]")).to_have_count(0)
    finally:
        proxy.close()


def test_reconnects_after_a_server_restart(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Restarts")
    a = open_room(live_server.url, room, asha)
    live_server.stop()
    expect(a.get_by_test_id("connection-status")).to_have_text("Reconnecting...")
    live_server.start()
    r = open_room(live_server.url, room, ravi)
    send(r, "back again")
    expect_live(a, timeout=15_000)
    expect(message(a, "back again")).to_have_count(1)


def test_revoked_token_returns_to_login_and_leaving_closes_the_room(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Short stay")
    r = open_room(live_server.url, room, ravi)
    r.get_by_test_id("leave-room").click()
    expect(r.get_by_test_id("room-title")).to_have_text("Pick a room")
    expect(r.get_by_test_id("room-item").filter(has_text="Short stay")).to_have_count(0)

    a = open_room(live_server.url, room, asha)
    call(live_server.url, "POST", "user/logout/", {}, asha["token"])  # the same token, from another device
    expect(a.get_by_test_id("login-form")).to_be_visible()


def test_browser_offline_and_online_again_loses_nothing(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Airplane mode")
    a, r = open_room(live_server.url, room, asha), open_room(live_server.url, room, ravi)
    send(r, "before")
    expect(message(a, "before")).to_have_count(1)
    a.context.set_offline(True)
    send(r, "while offline")
    expect_stored(r, "while offline")
    before = message(a, "before")
    before.get_by_test_id("react").click()
    before.get_by_test_id("react-Smile").click()
    expect(before.get_by_test_id("message-queued")).to_have_text("(reaction not sent yet)")
    a.context.set_offline(False)
    expect(message(a, "while offline")).to_have_count(1)
    expect(message(r, "before").get_by_test_id("reaction-Smile")).to_have_attribute("data-count", "1")
    expect_live(a)
    send(a, "and back")
    expect(message(r, "and back")).to_have_count(1)


def test_typing_line_names_everyone_typing(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Chatterbox")
    sam = register(live_server.url, "Sam", "Lee")
    call(live_server.url, "POST", f"chat/group/{room['id']}/add-yourself/", {}, sam["token"])
    watcher = open_room(live_server.url, room, asha)
    typists = [open_room(live_server.url, room, ravi), open_room(live_server.url, room, sam)]
    for page in typists:
        page.get_by_test_id("message-input").press_sequentially("hm")
    expect(watcher.get_by_test_id("typing")).to_have_text(re.compile(r"^(Ravi and Sam|Sam and Ravi) are typing\.\.\.$"))
    typists[0].get_by_test_id("message-input").blur()
    typists[1].get_by_test_id("message-input").press_sequentially("m")  # Sam is still at it
    expect(watcher.get_by_test_id("typing")).to_have_text("Sam is typing...")


def test_mention_picker_tells_members_with_the_same_first_name_apart(live_server, open_room):
    asha, ravi, room = shared_room(live_server.url, "Namesakes")
    other = register(live_server.url, "Ravi", "Shah")
    call(live_server.url, "POST", f"chat/group/{room['id']}/add-yourself/", {}, other["token"])
    a = open_room(live_server.url, room, asha)
    box = a.get_by_test_id("message-input")
    box.press_sequentially("@Ravi")
    expect(a.get_by_test_id("mention-option")).to_have_count(2)
    box.press("Enter")
    box.press_sequentially("and @Ravi")
    expect(a.get_by_test_id("mention-option")).to_have_count(2)
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("@Ravi and @Ravi ")
    box.press_sequentially("meet")
    box.press("Enter")
    expect_stored(a, "@Ravi and @Ravi meet")
    history = call(live_server.url, "GET", f"chat/groups/{room['id']}/messages/", token=asha["token"])
    assert sorted(history[0]["mentions"]) == sorted([ravi["user"]["id"], other["user"]["id"]])


def test_a_burst_from_a_new_member_costs_one_member_list_request(live_server, open_page, open_room):
    asha, _, room = shared_room(live_server.url, "Open house")
    a = open_room(live_server.url, room, asha)
    asked = []
    a.on("request", lambda request: "/members/" in request.url and asked.append(request.url))
    sam = register(live_server.url, "Sam", "Lee")
    call(live_server.url, "POST", f"chat/group/{room['id']}/add-yourself/", {}, sam["token"])
    send_at_once(open_page(live_server.url, sam["token"]), room, sam, "burst", 10)
    expect(message(a, "burst 10")).to_be_visible()
    expect(a.get_by_test_id("message")).to_have_count(10)
    assert len(asked) == 1


def test_a_network_error_on_load_keeps_the_user_logged_in(live_server, open_page):
    """The server cannot be reached at first: the page says so and tries again, not the log-in form."""
    asha = register(live_server.url, "Asha", "Rao")
    page = open_page(live_server.url, asha["token"], setup=lambda page: page.route("**/api/**", lambda route: route.abort()))
    expect(page.get_by_test_id("unreachable")).to_be_visible()
    expect(page.get_by_test_id("login-form")).to_be_hidden()
    page.unroute("**/api/**")
    expect(page.get_by_test_id("me-name")).to_have_text("Asha Rao")
    expect(page.get_by_test_id("unreachable")).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("me-name")).to_have_text("Asha Rao")


def test_edits_deletes_and_reactions_made_offline_are_sent_on_reconnect(live_server, open_room):
    """A change made while the socket is down is shown as waiting, then reaches the server once it is back."""
    asha, ravi, room = shared_room(live_server.url, "Patchy signal")
    proxy = CuttableProxy(live_server.port)
    try:
        a, r = open_room(proxy.url, room, asha), open_room(live_server.url, room, ravi)
        for text in ("a typo heer", "react to me", "delete me"):
            send(a, text)
            expect_stored(a, text)
        ids = {text: int(message(a, text).get_attribute("data-message-id"))
               for text in ("a typo heer", "react to me", "delete me")}

        proxy.cut()
        expect(a.get_by_test_id("connection-status")).to_have_text("Reconnecting...")
        message(a, "a typo heer").get_by_test_id("edit").click()
        a.get_by_test_id("edit-input").fill("a typo here")
        a.get_by_test_id("edit-input").press("Enter")
        liked = message(a, "react to me")
        liked.get_by_test_id("react").click()
        liked.get_by_test_id("react-Like").click()
        message(a, "delete me").get_by_test_id("delete").click()
        a.locator(f"#message-{ids['delete me']}").get_by_test_id("delete-confirm").click()
        for text in ids:
            expect(a.locator(f"#message-{ids[text]}").get_by_test_id("message-queued")).to_be_visible()
        expect(a.get_by_test_id("composer-error")).to_contain_text("Offline")

        proxy.restore()
        expect_live(a, timeout=15_000)
        expect(a.get_by_test_id("message-queued")).to_have_count(0)
        expect(message(r, "a typo here").get_by_test_id("message-edited")).to_be_visible()
        expect(message(r, "react to me").get_by_test_id("reaction-Like")).to_have_attribute("data-count", "1")
        expect(r.locator(f"#message-{ids['delete me']}")).to_have_attribute("data-deleted", "true")
        stored = {item["id"]: item for item in call(live_server.url, "GET", f"chat/groups/{room['id']}/messages/", token=ravi["token"])}
        assert stored[ids["a typo heer"]]["content"] == "a typo here"
        assert stored[ids["react to me"]]["reactions"].get("Like") == 1
        assert stored[ids["delete me"]]["is_deleted"] is True
    finally:
        proxy.close()


def test_the_client_keeps_to_the_limits_and_reactions_the_server_tells(tmp_path, open_room):
    """A server started with CHAT_MAX_MESSAGE_LENGTH=20: the message and edit boxes take 20 characters, no more;
    with no mentions allowed and 40-byte uploads, a mention or a larger file is held back with a word why."""
    live = LiveServer(tmp_path, {"CHAT_MAX_MESSAGE_LENGTH": "20", "CHAT_MAX_MENTIONS": "0", "CHAT_MAX_UPLOAD_BYTES": "40"})
    live.start()
    try:
        asha, _, room = shared_room(live.url, "short")
        page = open_room(live.url, room, asha)
        box = page.get_by_test_id("message-input")
        expect(box).to_have_attribute("maxlength", "20")
        box.press_sequentially("hi @Ra")
        expect(page.get_by_test_id("mention-option")).to_have_text(["Ravi Menon"])
        box.press("Enter")
        expect(box).to_have_value("hi @Ravi ")  # picked: the next Enter sends
        box.press("Enter")
        expect(page.get_by_test_id("composer-error")).to_have_text("At most 0 mentions in one message.")
        expect(box).to_have_value("hi @Ravi ")
        box.fill("")
        box.press_sequentially("x" * 25)
        expect(box).to_have_value("x" * 20)
        box.press("Enter")
        expect_stored(page, "x" * 20)
        message(page, "x" * 20).get_by_test_id("edit").click()
        expect(page.get_by_test_id("edit-input")).to_have_attribute("maxlength", "20")
        page.get_by_test_id("edit-input").press("Escape")
        message(page, "x" * 20).get_by_test_id("react").click()
        offered = page.get_by_test_id("reaction-palette").locator("button")
        expect(offered).to_have_count(len(call(live.url, "GET", "config/")["reactions"]))
        expect(offered.first).to_have_attribute("data-testid", "react-Like")
        page.get_by_test_id("attachment-input").set_input_files({"name": "dot.png", "mimeType": "image/png", "buffer": PNG})
        expect(page.get_by_test_id("composer-error")).to_have_text("dot.png is too large: at most 40 bytes.")
        history = call(live.url, "GET", f"chat/groups/{room['id']}/messages/", token=asha["token"])
        assert [m["content"] for m in history] == ["x" * 20]
    finally:
        live.stop()
