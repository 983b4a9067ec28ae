"""Hostile requests, property-based, on every REST route: never a 500, never a traceback, always JSON."""

from __future__ import annotations

import io
import json
import re
import string
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from fuzz_support import FUZZ, json_values, render

PATH_PARAM = re.compile(r"\{(\w+)\}")
SKIP = ("/static",)  # aiohttp's own file handler
path_values = st.one_of(
    st.sampled_from(["$room", "$other", "$asha", "$ravi", "$root"]),
    st.integers(min_value=-5, max_value=2**64).map(str),
    st.sampled_from(["0", "²", "١", "٣٤", "00001", "1e3", "-1", "9" * 30, "..", "%2e%2e", "%00",
                     "A" * 22 + ".png", "Zm9vYmFyYmF6cXV4cXV1dXV1.txt"]),
    st.text(max_size=12).map(lambda t: quote(t, safe="")))
query_values = st.one_of(st.text(max_size=16), st.sampled_from(
    ["²", "١", "-1", "0", "1", "9" * 25, "1.5", "1e3", " 1", "\x00", "%", "$room", "true", "[]"]))
queries = st.dictionaries(
    st.one_of(st.sampled_from(["limit", "before", "page", "page_size", "after_seq", "q", "token"]), st.text(max_size=6)),
    query_values, max_size=4)
BODY_FIELDS = ("email", "password", "first_name", "last_name", "year", "photo", "name", "description", "members",
               "room_avatar", "new_owner_id", "user_id", "content", "parent_message")
body_values = st.one_of(json_values, st.sampled_from(["$room", "$asha", "$ravi", "$root", "correct horse",
                                                      "new@example.org", "https://example.org/a.png", "\x00"]),
                        st.lists(st.sampled_from(["$asha", "$ravi", "$root", 0, -1, "1", 2**64 - 1]), max_size=4))
json_bodies = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(BODY_FIELDS), st.text(max_size=6)), body_values, max_size=5),
    json_values)
CONTENT_TYPES = ("application/json", "text/plain", "multipart/form-data; boundary=xyz",
                 "application/x-www-form-urlencoded", "multipart/form-data")
bodies = st.one_of(
    st.none(),
    st.tuples(st.just("json"), json_bodies),
    st.tuples(st.just("raw"), st.binary(max_size=200), st.sampled_from(CONTENT_TYPES)),
    st.tuples(st.just("deep"), st.integers(100, 3000)),
    st.tuples(st.just("form"), st.dictionaries(
        st.sampled_from(["attachment", "content", "parent_message", "other"]),
        st.tuples(st.one_of(st.binary(max_size=64), st.sampled_from([b"\xc2\xb2", b"\xd9\xa1", b"-1", b"0", b"9" * 30])),
                  st.one_of(st.none(), st.text(
            st.characters(blacklist_categories=("Cc", "Cs")), max_size=12))), max_size=3)))
credentials = st.one_of(st.sampled_from(["asha", "ravi", "root", None]), st.tuples(
    st.sampled_from(["Token", "Bearer", "Basic", "token", ""]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.=", max_size=48)))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
# aiohttp warns about a malformed Content-Disposition and reads on, as the server does in
# production; only the suite's warnings-as-errors would turn that into an exception.
MULTIPART_WARNINGS = pytest.mark.filterwarnings("ignore::aiohttp.BadContentDispositionHeader",
                                                "ignore::aiohttp.BadContentDispositionParam")


class Site:
    """The REST side of the server with three users and two rooms; replaced when a request destroys them."""

    def __init__(self, client, register, make_admin, make_room) -> None:
        self.client, self.register, self.make_admin, self.make_room = client, register, make_admin, make_room
        self.routes = sorted({(r.method, r.resource.canonical) for r in client.app.router.routes()
                              if r.resource is not None and not r.resource.canonical.startswith(SKIP)})
        self.users: dict[str, Any] = {}
        self.ids: dict[str, int] = {}

    async def refresh(self) -> None:
        """New users or rooms for any that a logout, a password change or a deletion took away."""
        for name in ("asha", "ravi", "root"):
            user = self.users.get(name)
            if user is None or (await self.client.get("/api/user/me/", headers=user.auth)).status != 200:
                self.users[name] = await (self.make_admin() if name == "root" else self.register(name.title()))
        asha, ravi = self.users["asha"], self.users["ravi"]
        for ref, owner, members in (("$room", asha, (ravi,)), ("$other", ravi, ())):
            room_id = self.ids.get(ref)
            resp = room_id and await self.client.get(f"/api/chat/groups/{room_id}/members/", headers=owner.auth)
            if not resp or resp.status != 200:
                self.ids[ref] = (await self.make_room(owner, *members))["id"]
        self.ids.update({f"${name}": user["id"] for name, user in self.users.items()})

    def render(self, value: Any) -> Any:
        return render(value, self.ids)

    def request_body(self, body: Any) -> dict[str, Any]:
        if body is None:
            return {}
        if body[0] == "json":
            return {"data": json.dumps(self.render(body[1])), "headers": {"Content-Type": "application/json"}}
        if body[0] == "raw":
            return {"data": body[1], "headers": {"Content-Type": body[2]}}
        if body[0] == "deep":
            return {"data": "[" * body[1] + "]" * body[1], "headers": {"Content-Type": "application/json"}}
        form = aiohttp.FormData()
        for name, (content, filename) in body[1].items():
            if filename is None:
                form.add_field(name, content.decode("utf-8", "replace"))
            else:
                form.add_field(name, io.BytesIO(content), filename=filename, content_type="image/png")
        return {"data": form}

    def auth(self, who: Any) -> dict[str, str]:
        if who is None:
            return {}
        if isinstance(who, str):
            return dict(self.users[who].auth)
        return {"Authorization": f"{who[0]} {who[1]}"}


@pytest.fixture
def config(config):
    """Uploads unthrottled, with no message rate and no budget of refused requests: what is
    fuzzed here is how each request is parsed, thousands of them from one address."""
    return config.replace(upload_rate=0, rate_limit=0, refused_rate=0)


@pytest.fixture
async def site(client, register, make_admin, make_room):
    s = Site(client, register, make_admin, make_room)
    await s.refresh()
    return s


def wants_json(path: str, status: int) -> bool:
    """The API answers JSON everywhere; any error anywhere is JSON too."""
    return status >= 400 or (path.startswith("/api/") and not path.startswith("/api/docs/"))


@MULTIPART_WARNINGS
@settings(FUZZ, max_examples=150)
@given(data=st.data())
async def test_no_request_gets_a_500_a_traceback_or_a_body_that_is_not_json(site, data):
    await site.refresh()
    for _ in range(data.draw(st.integers(1, 4))):
        method, canonical = data.draw(st.sampled_from(site.routes))
        if data.draw(st.integers(0, 9)) == 0:
            method = data.draw(st.sampled_from(METHODS))
        path = PATH_PARAM.sub(lambda m: str(site.render(data.draw(path_values))), canonical)
        query = {k: str(site.render(v)) for k, v in data.draw(queries).items()}
        headers = site.auth(data.draw(credentials))
        kwargs = site.request_body(data.draw(bodies))
        headers.update(kwargs.pop("headers", {}))
        note(f"{method} {path} {query} {headers} {kwargs}"[:2000])
        resp = await site.client.request(method, path, params=query, headers=headers, **kwargs)
        raw = await resp.read()
        assert resp.status < 500, raw[:500]
        text = raw.decode("utf-8", "replace")
        assert "Traceback" not in text and 'File "' not in text, text[:500]
        if method != "HEAD" and wants_json(resp.url.path, resp.status):
            assert resp.content_type == "application/json", (resp.status, text[:200])
            orjson.loads(raw)


form_values = st.one_of(st.binary(max_size=64), st.sampled_from([b"\xc2\xb2", b"\xd9\xa1", b"-1", b"0", b"9" * 30, b""]),
                        st.text(max_size=12).map(str.encode))
uploads = st.fixed_dictionaries(
    {"attachment": st.tuples(st.one_of(st.binary(max_size=64), st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)),
                             st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12))},
    optional={"content": st.tuples(form_values, st.none()), "parent_message": st.tuples(form_values, st.none()),
              "extra": st.tuples(form_values, st.none())})


cut_multipart = st.builds(
    lambda name, body, cut: (b'--xyz\r\nContent-Disposition: form-data; name="' + name + b'"; filename="a.png"\r\n\r\n'
                             + body + b"\r\n--xyz--\r\n")[:cut],
    st.sampled_from([b"attachment", b"content", b"parent_message"]), st.binary(max_size=40), st.integers(0, 160))
raw_uploads = st.tuples(st.just("raw"), st.one_of(st.binary(max_size=100), cut_multipart), st.sampled_from(
    ["multipart/form-data; boundary=xyz", "multipart/form-data", "multipart/mixed; boundary=xyz"]))


@MULTIPART_WARNINGS
@settings(FUZZ, max_examples=100)
@given(body=st.one_of(uploads.map(lambda form: ("form", form)), raw_uploads))
async def test_uploads_with_hostile_fields_or_bodies_never_fail_inside(site, body):
    kwargs = site.request_body(body)
    headers = {**site.auth("asha"), **kwargs.pop("headers", {})}
    resp = await site.client.post(f"/api/chat/groups/{site.ids['$room']}/messages/upload/", headers=headers, **kwargs)
    raw = await resp.read()
    assert resp.status in (201, 400, 404), raw[:500]  # 404: a parent that is not in the room
    assert resp.content_type == "application/json"
    orjson.loads(raw)
