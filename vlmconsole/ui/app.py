"""The console app: the composition root. Config, themes, the one worker-error handler.

It builds no source: `attach`, `demo`, tests and replays hand in a ConsoleSources
(sources/console_sources.py), and the console screen renders what they say.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual import on
from textual.actions import ActionParseResult
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen

from vlmconsole.sources.heap import release_free_heap
from vlmconsole.ui.messages import ReceiptShown, WorkerFailed
from vlmconsole.ui.palette import ConsoleCommands
from vlmconsole.ui.screens.console_screen import ConsoleScreen
from vlmconsole.ui.themes import THEME_VARIABLE_DEFAULTS, install_themes

if TYPE_CHECKING:
    from vlmconsole.sources.console_sources import ConsoleSources
    from vlmconsole.ui.console_config import ConsoleConfig


class VlmConsoleApp(App[None]):
    """vlmconsole attach: the console."""

    CSS_PATH = "app.tcss"
    TITLE = "vlmconsole"
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    def __init__(
        self,
        config: ConsoleConfig,
        sources: ConsoleSources,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.config = config
        self.console_screen = ConsoleScreen(config, sources, clock)
        # only themes that define the console's own colour variables take part in `t`
        self._theme_names, self._theme_problems = install_themes(self, config.theme)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Returns the console's colour variables for themes that do not set them."""
        return dict(THEME_VARIABLE_DEFAULTS)

    def get_default_screen(self) -> Screen[None]:
        """Returns the console screen: the app's first and bottom screen."""
        return self.console_screen

    def on_mount(self) -> None:
        """Says what was wrong with the themes."""
        for problem in self._theme_problems:
            self.notify(problem, title="themes", severity="warning", timeout=8)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Runs an action; a console command pressed too early says why instead."""
        handled = await super().run_action(action, default_namespace, namespaces)
        if not handled and isinstance(action, str) and self.console_screen.is_attached:
            why = self.console_screen.unavailable(action.split("(", 1)[0])
            if why is not None:
                self.notify(why, severity="warning")
        return handled

    def action_cycle_theme(self) -> None:
        """Switches to the next theme."""
        names = [n for n in self._theme_names if n in self.available_themes]
        if names:
            index = names.index(self.theme) + 1 if self.theme in names else 0
            self.theme = names[index % len(names)]
            self.notify(f"theme {self.theme}")

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        """The one place unexpected worker errors become a line on screen."""
        worker = message.worker
        self.notify(f"{worker.group}: {worker.error}", severity="error", timeout=10)
        self.console_screen.chat.worker_failed(worker)

    @on(ReceiptShown)
    def _receipt_shown(self) -> None:
        # the turn's request and reply bodies (MBs with base64 images) are garbage now
        release_free_heap()

    async def on_unmount(self) -> None:
        """Journals a turn still in flight as abandoned, then closes the sources."""
        await self.console_screen.close()
