"""Property: random outside text (markup, C0/C1 controls, escape sequences) goes through
every renderer and export and comes out with no control byte and no interpreted markup.

Renderers covered: the status text and JSON, a bench turn line, CSV, JSON Lines, the
HTML report, and the console's header and receipts (through `run_test`).
"""

from __future__ import annotations

import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from tests.export.builders import ok_turn
from vlmconsole.export.csv_export import csv_text
from vlmconsole.export.html_report import html_report
from vlmconsole.export.jsonl_export import jsonl_text
from vlmconsole.model.outside_text import clean, error_line, one_line
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.model.turn_record import ImageInfo
from vlmconsole.views.bench_view import turn_line
from vlmconsole.views.status_json import status_dict
from vlmconsole.views.status_view import identity_text

FRAGMENTS = [
    "[bold red]", "[/]", "[link=http://evil]", "[/link]", "\x1b[2J", "\x1b]0;TITLE\x07",
    "\x1b]8;;http://evil\x1b\\", "\x1b[31m", "\x1b[0m", "\x9b31m", "\x9d0;t\x9c", "\x1bP1$r\x1b\\",
    "\x07", "\x08", "\r", "\x00", "\x7f", "\u202e", "\u2066", "é", "☃", "<script>", "&amp;",
    "=cmd|' /C calc'!A0", "\n", "\t", "{turn}", "%s",
]  # fmt: skip
CONTROL_BYTES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), min_size=1, max_size=12
).map("".join)


def assert_safe(output: str) -> None:
    """No byte that drives a terminal (tab and newline excepted), no bidi override."""
    found = CONTROL_BYTES.findall(output)
    assert not found, f"control characters {found!r} in {output[:300]!r}"


def rendered(text: Text, terminal: bool) -> str:
    """Returns what rich writes for `text`: plain when piped, styled on a terminal."""
    out = io.StringIO()
    Console(file=out, force_terminal=terminal, width=400, highlight=False).print(text)
    written = out.getvalue()
    # rich's own styles are SGR sequences; anything else would have come from the text
    return re.sub(r"\x1b\[[0-9;]*m", "", written) if terminal else written


def test_the_filter_leaves_no_control_and_keeps_markup_as_written() -> None:
    assert clean("[bold]x[/] \x1b[31mred\x1b[0m\r\n") == "[bold]x[/] red\n"
    assert one_line("a\nb\tc \x1b]0;t\x07 d") == "a b c d"
    assert error_line("401: \x1b[2Jbad key\n") == "vlmconsole: 401: bad key"


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_clean_is_safe_and_idempotent(text: str) -> None:
    cleaned = clean(text)
    assert_safe(cleaned.replace("\n", "").replace("\t", ""))
    assert clean(cleaned) == cleaned


@settings(max_examples=150, deadline=None)
@given(hostile_text, hostile_text)
def test_status_text_and_json(version: str, model: str) -> None:
    info = ServerInfo(
        "http://127.0.0.1:8000", version, False, model, (ModelCard(model, model, 4096),), 0
    )
    for terminal in (False, True):
        out = rendered(identity_text(info, None), terminal)
        assert_safe(out.replace("\n", "").replace("\t", ""))
        if "[bold red]" in clean(version):
            assert "[bold red]" in out, "markup shows as written"
    data = json.dumps(status_dict(info, [], "now"), ensure_ascii=False)
    assert_safe(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, hostile_text, hostile_text)
def test_bench_lines_and_every_export(label: str, reply: str, error: str) -> None:
    image = ImageInfo(label, "a" * 64, 64, 64, 100, tokens=10)
    records = [
        ok_turn("r1", "none", 1, model=label, reply=reply, new_images=(image,), ttft_s=0.5),
        ok_turn("r1", "none", 2, status="failed", error=error, model=label),
    ]
    for record in records:
        for terminal in (False, True):
            assert_safe(rendered(turn_line(record), terminal).replace("\n", ""))
    assert_safe(csv_text(records).replace("\r\n", "").replace("\n", "").replace("\t", ""))
    lines = jsonl_text(records)
    assert_safe(lines.replace("\n", ""))
    assert [json.loads(line)["model"] for line in lines.splitlines()] == [label, label]
    page = html_report(records, label, {"server": label})
    assert_safe(page.replace("\n", "").replace("\t", ""))
    assert "<script>" not in page.split("<style>")[0] or "<script>" not in clean(label)
