"""The documents do not drift from the code: the settings table is generated, named tests exist.

Regenerate the table with `python tests/test_deploy_doc.py`.
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

import chatserver
from chatserver.config import settings_table
from chatserver.openapi import FRAMES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "DEPLOY.md"
BEGIN, END = "<!-- settings table: begin -->", "<!-- settings table: end -->"


def render() -> str:
    """The settings table in Markdown, one row per CHAT_* variable."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for env, default, doc in settings_table():
        rows.append(f"| `{env}` | {f'`{default}`' if default else '(empty)'} | {doc.replace('|', '&#124;')} |")
    return "\n".join(rows)


def documented() -> tuple[str, str, str]:
    """DEPLOY.md split around the table: before, table, after."""
    text = DEPLOY.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN + "\n")
    table, _, tail = rest.partition("\n" + END)
    return head, table, tail


def test_the_settings_table_in_deploy_md_is_the_generated_one():
    _, table, _ = documented()
    assert table == render(), "docs/DEPLOY.md is out of date: run `python tests/test_deploy_doc.py`"


def test_every_setting_is_in_the_table_once():
    _, table, _ = documented()
    for env, _, _ in settings_table():
        assert table.count(f"| `{env}` |") == 1


def test_the_package_ships_what_it_reads_at_run_time():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    package = Path(chatserver.__file__).resolve().parent
    patterns = [p.strip() for p in setup["options.package_data"]["chatserver"].split(",")]
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    needed = [package / "schema.sql", package / "static" / "index.html", package / "static" / "apidocs.html",
              *FRAMES.glob("*.json")]
    assert [str(p.relative_to(package)) for p in needed if p not in shipped] == []


if __name__ == "__main__":
    head, _, tail = documented()
    DEPLOY.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    print(f"wrote the settings table of {DEPLOY}", file=sys.stderr)


def test_every_test_the_docs_name_exists():
    """RELIABILITY.md and the other documents prove guarantees by naming tests: those tests exist."""
    named = [(doc.name, path, name) for doc in sorted((ROOT / "docs").glob("*.md"))
             for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)", doc.read_text(encoding="utf-8"))]
    assert len(named) > 50
    missing = [(doc, path, name) for doc, path, name in named
               if not (ROOT / path).exists()
               or not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)]
    assert missing == []
