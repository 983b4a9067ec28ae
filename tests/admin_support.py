"""The admin commands as a test runs them: a user made by `createuser`."""

from __future__ import annotations


async def createuser(cli, email: str, *extra: str) -> int:
    """A user made by the createuser command (run through the cli fixture), first named after the e-mail; returns its id."""
    code, out, err = await cli("createuser", "--email", email, "--password", "correct horse",
                               "--first-name", email.split("@")[0].title(), *extra)
    assert code == 0, err
    return int(out.split("id=")[1].split()[0])
