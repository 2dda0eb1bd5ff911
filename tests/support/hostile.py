"""A vLLM look-alike on loopback whose every string is hostile: markup and escape sequences."""

from __future__ import annotations

import re

from tests.support.fake_http import FakeHttp, Handler, json_body, text
from tests.support.fixtures import metrics_page

HOSTILE = "[bold red]PWNED[/] \x1b[2J\x1b]0;TITLE\x07 \x1b[31mRED\x1b[0m"
"""Markup, an erase-screen, a set-title and a colour: from the issue that found the leaks."""
SHOWN = "[bold red]PWNED[/]"
"""What must show literally wherever HOSTILE is rendered."""
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x9d")
"""Bytes that must never reach the output."""


def label_value(value: str) -> str:
    """Returns `value` escaped as a Prometheus label value."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def hostile_metrics() -> str:
    """Returns a real vLLM 0.32.0 capture whose engine and model labels are hostile, twice.

    Every series appears for two engines, `HOSTILE` and `HOSTILE` + `2`, so the
    per-engine and per-model views are drawn too.
    """
    page = metrics_page("vllm-0.32.0-after")
    lines: list[str] = []
    for line in page.splitlines():
        if 'engine="0"' not in line:
            lines.append(line)
            continue
        for suffix in ("", "2"):
            hostile = line.replace('engine="0"', f'engine="{label_value(HOSTILE + suffix)}"')
            hostile = re.sub(
                r'model_name="[^"]*"', f'model_name="{label_value(HOSTILE + suffix)}"', hostile
            )
            lines.append(hostile)
    return "\n".join(lines) + "\n"


def hostile_routes() -> dict[str, Handler]:
    """Returns the routes of a server whose version, model id and labels are hostile."""
    models = {
        "object": "list",
        "data": [{"id": HOSTILE, "root": HOSTILE, "max_model_len": 4096}],
    }
    return {
        "/version": json_body({"version": HOSTILE}),
        "/health": text(""),
        "/v1/models": json_body(models),
        "/load": json_body({"server_load": 1}),
        "/metrics": text(hostile_metrics()),
    }


def hostile_server() -> FakeHttp:
    """Returns (not started) the hostile server."""
    return FakeHttp(hostile_routes())


def assert_no_escape(output: str) -> None:
    """Fails when `output` carries a byte that could drive a terminal."""
    found = [repr(b) for b in FORBIDDEN if b in output]
    assert not found, f"terminal control bytes {found} in the output: {output[:400]!r}"
