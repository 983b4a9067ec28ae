"""What the server writes to disk is readable by its own user only, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp
import pytest
from upload_support import PNG


@pytest.fixture
def config(config):
    """A umask that would leave new files readable by everyone, while the server starts and runs."""
    old = os.umask(0o022)
    yield config
    os.umask(old)


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_database_its_wal_and_media_are_created_private(client, config, register, make_room):
    asha = await register("Asha")
    room = await make_room(asha)
    form = aiohttp.FormData()
    form.add_field("attachment", PNG, filename="a.png", content_type="image/png")
    resp = await client.post(f"/api/chat/groups/{room['id']}/messages/upload/", data=form, headers=asha.auth)
    assert resp.status == 201, await resp.text()
    media = Path(config.media_dir)
    files = [p for p in media.iterdir()]
    assert files and {mode(p) for p in files} == {0o600}
    assert mode(media) == 0o700
    assert {name: mode(config.db + name) for name in ("", "-wal", "-shm", ".lock")} == dict.fromkeys(
        ("", "-wal", "-shm", ".lock"), 0o600)
