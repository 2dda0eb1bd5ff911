"""A small app that hosts one widget under a theme with the console's colour variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.app import App, ComposeResult
from textual.theme import Theme
from textual.widget import Widget

from tests.support.fixtures import history
from vlmconsole.model.server_stats import ServerStats, derive_stats
from vlmconsole.ui.textual_private import screen_lines

W = TypeVar("W", bound=Widget)

COLOURS = {
    "gauge-ok": "#4EBF71",
    "gauge-warn": "#FFA62B",
    "gauge-high": "#E0115F",
    "chart-ttft": "#0178D4",
    "chart-server-ttft": "#B452CD",
    "chart-fit": "#FFD700",
    "chart-decode": "#00C8A0",
    "connection-live": "#4EBF71",
    "connection-lost": "#E0115F",
}
TEST_THEME = Theme(name="test", primary="#0178D4", dark=True, variables=COLOURS)
OTHER_THEME = Theme(
    name="test-other",
    primary="#004578",
    dark=False,
    variables={**COLOURS, "chart-ttft": "#FF0000", "chart-decode": "#00FF00"},
)
BARE_THEME = Theme(
    name="test-bare",
    primary="#123456",
    secondary="#654321",
    warning="#AABB00",
    success="#00AA55",
    dark=True,
    variables={k: v for k, v in COLOURS.items() if k.startswith("gauge-")},
)
"""A theme without the chart variables: the chart falls back to the theme's own colours."""


class WidgetHost(App[None], Generic[W]):
    """Mounts the widget `make` returns, under the test theme."""

    def __init__(self, make: Callable[[], W]) -> None:
        super().__init__()
        for theme in (TEST_THEME, OTHER_THEME, BARE_THEME):
            self.register_theme(theme)
        self.theme = TEST_THEME.name
        self.widget = make()

    def compose(self) -> ComposeResult:
        """Yields the hosted widget.

        Returns:
            The one widget under test.
        """
        yield self.widget


def screen_text(app: App[Any]) -> str:
    """Returns the screen as plain text, one line a row (what a person would read)."""
    return "\n".join(screen_lines(app.screen))


def v0_stats() -> ServerStats:
    """Returns the stats of the V0 fixture pages scraped ten seconds apart."""
    return derive_stats(history(("vllm-v0-t0", 0.0), ("vllm-v0-t1", 10.0)))
