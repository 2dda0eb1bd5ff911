"""The fleet app: the composition root of `vlmconsole fleet`. Themes, the feed, the screen.

It builds no source: `fleet` hands in the FleetFeed. Enter ends the app with the
chosen instance (FleetChoice); the command then runs the console on it and comes
back here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from vlmconsole.ui.screens.fleet_screen import FleetChoice, FleetScreen, FleetScreenState
from vlmconsole.ui.themes import THEME_VARIABLE_DEFAULTS, install_themes

if TYPE_CHECKING:
    from vlmconsole.sources.console_sources import FleetFeed

__all__ = ["FleetApp", "FleetChoice", "FleetScreenState"]


class FleetApp(App[FleetChoice]):
    """vlmconsole fleet: every vLLM instance one Prometheus scrapes."""

    CSS = """
    #fleet-title { height: 1; text-style: bold; }
    #fleet-totals { height: auto; color: $text-muted; }
    #fleet-problem { height: auto; }
    #fleet-table { height: 1fr; }
    """
    TITLE = "vlmconsole fleet"

    def __init__(
        self,
        feed: FleetFeed,
        prometheus: str,
        window: str,
        refresh_s: float,
        state: FleetScreenState | None = None,
        theme: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.fleet_screen = FleetScreen(
            feed, prometheus, window, refresh_s, state or FleetScreenState(), clock
        )
        self._theme_names, self._theme_problems = install_themes(self, theme)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Returns the console's colour variables for themes that do not set them."""
        return dict(THEME_VARIABLE_DEFAULTS)

    def get_default_screen(self) -> Screen[None]:
        """Returns the fleet screen."""
        return self.fleet_screen

    def on_mount(self) -> None:
        """Says what was wrong with the themes."""
        for problem in self._theme_problems:
            self.notify(problem, title="themes", severity="warning", timeout=8)

    async def on_unmount(self) -> None:
        """Closes the feed."""
        await self.fleet_screen.close()
