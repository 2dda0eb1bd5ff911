"""The README's settings table is the schema's: a key added, renamed or re-defaulted shows."""

from __future__ import annotations

from pathlib import Path

from vlmconsole.settings import KEYS
from vlmconsole.settings_docs import settings_table

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- settings table: made by vlmconsole.settings_docs.settings_table();"
END = "<!-- end of settings table -->"


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    after_start = text.split(START, 1)[1].split("\n", 1)[1]
    return after_start.split(END, 1)[0].strip() + "\n"


def test_the_readme_table_is_the_schemas() -> None:
    assert readme_table() == settings_table(), (
        "README.md's settings table is stale: paste vlmconsole.settings_docs.settings_table()"
    )


def test_the_table_has_a_row_a_setting_with_its_variable_flag_and_default() -> None:
    rows = settings_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == list(KEYS)
    timeout = next(row for row in rows if row.startswith("| `timeout_s`"))
    assert "`VLMCONSOLE_TIMEOUT_S`" in timeout and "`--timeout`" in timeout and "`5`" in timeout
