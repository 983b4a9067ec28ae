"""/api/docs/ in headless Chromium: every endpoint, its parameters and schemas are on the page."""

from __future__ import annotations

import pytest

from chatserver.config import Config
from chatserver.openapi import document

pytestmark = pytest.mark.usefixtures("browser_present")  # checked before the server starts


def test_the_docs_page_renders_every_endpoint_and_schema(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda request: errors.append(f"{request.url} failed"))
    try:
        page.goto(f"{live_server.url}/api/docs/#create_a_room")
        page.wait_for_selector("#create_a_room[open]")
        doc = document(Config.from_env({}))
        operations = page.locator("details.op")
        assert operations.count() == sum(len(item) for item in doc["paths"].values())
        text = page.inner_text("main")
        for path in doc["paths"]:
            assert path in text
        for name in doc["components"]["schemas"]:
            assert page.locator(f"#schema-{name}").count() == 1

        create = page.locator("#create_a_room").inner_text()
        assert "Request body" in create and "name: string" in create and "members?: array of" in create
        assert "201" in create and "RoomAnswer" in create
        page.locator("#message_history_get summary").click()
        history = page.locator("#message_history_get").inner_text()
        for parameter in ("limit?", "before?", "page?", "page_size?"):
            assert parameter in history
        page.locator("#create_a_room a", has_text="RoomAnswer").first.click()
        assert page.url.endswith("#schema-RoomAnswer")
        assert "Token" in page.locator("#my_rooms summary").inner_text()
        assert "public" in page.locator("#register summary").inner_text()
    finally:
        context.close()
    assert errors == []
