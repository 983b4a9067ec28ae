"""The README's quick start: `python run.py --demo` prints what a newcomer needs, and it works."""

from __future__ import annotations

import re
import signal

import aiohttp

from chatserver.demo import PASSWORD, USERS
from conftest import recv, recv_until

USER_LINE = re.compile(r"^  (\S+@\S+)\s+id=(\d+)\s+token=([0-9a-f]{40})$", re.M)


def printed(log: str) -> tuple[dict[str, tuple[int, str]], str, str]:
    """(e-mail -> (id, token), the WebSocket URL to connect to, the web client's URL) from the output."""
    people = {email: (int(uid), token) for email, uid, token in USER_LINE.findall(log)}
    socket_url = re.search(r"^Connect:\n  (ws://\S+)$", log, re.M).group(1)
    web_url = re.search(r"^Web client: (http://\S+)$", log, re.M).group(1)
    return people, socket_url, web_url


async def test_the_demo_prints_working_credentials_and_starts_again_on_the_same_file(server_process):
    base = await server_process.start("--demo")
    people, socket_url, web_url = printed(server_process.log())
    assert sorted(people) == sorted(email for email, _, _ in USERS)
    asha_id, asha_token = people["asha@example.org"]
    ravi_id, ravi_token = people["ravi@example.org"]
    room_id = int(re.search(r"/ws/chat/(\d+)/", socket_url).group(1))
    assert socket_url.endswith(f"?token={asha_token}") and web_url == base + "/"

    async with aiohttp.ClientSession() as http:
        assert (await http.get(web_url)).content_type == "text/html"
        ravi = await http.ws_connect(f"{base}/ws/chat/{room_id}/?token={ravi_token}")
        asha = await http.ws_connect(socket_url)  # exactly as printed
        await asha.send_json({"message": "Hello from the demo"})
        heard = await recv_until(ravi, lambda f: f.get("message") == "Hello from the demo")
        assert heard["sender"]["id"] == asha_id and heard["sender"]["name"] == "Asha"
        assert (await recv(asha))["is_self"] is True
        login = await http.post(f"{base}/api/user/login/", json={"email": "meera@example.org", "password": PASSWORD})
        assert login.status == 200
        await asha.close()
        await ravi.close()

    server_process.signal(signal.SIGTERM)
    assert await server_process.exited(15) == 0
    base = await server_process.start("--demo")
    again, _, _ = printed(server_process.log())
    assert {email: uid for email, (uid, _) in again.items()} == {email: uid for email, (uid, _) in people.items()}
    assert again["asha@example.org"][1] != asha_token  # a fresh token each start; the old ones still work
    async with aiohttp.ClientSession() as http:
        rooms = await (await http.get(f"{base}/api/chat/groups/list/",
                                      headers={"Authorization": f"Token {asha_token}"})).json()
        assert sorted(r["name"] for r in rooms) == ["2nd_year", "general"]  # made once, found again
        history = await (await http.get(f"{base}/api/chat/groups/{room_id}/messages/",
                                        headers={"Authorization": f"Token {again['ravi@example.org'][1]}"})).json()
        assert [m["content"] for m in history] == ["Hello from the demo"]
