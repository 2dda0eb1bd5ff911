"""A small stand-in for the console app: the actions the UI parts call, recorded."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.ui.palette import ConsoleCommands
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.screens.settings_screen import SettingsScreen
from vlmconsole.ui.themes import BUILTIN_THEMES, DEFAULT_THEME, load_themes

MODELS = ("tiny-idefics3", "qwen2-vl-2b")


class HostApp(App[None]):
    """Registers the console's themes and palette; records every action it is asked to run."""

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("e", "export", "Export"),
        Binding("b", "toggle_breakdown", "TTFT breakdown", show=False),
        Binding("comma", "settings", "Settings"),
    ]
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    def __init__(self, settings: RunSettings | None = None) -> None:
        super().__init__()
        self.calls: list[str] = []
        """Each action run, as `name(args)`."""
        self.settings = settings or RunSettings(model=MODELS[0])
        self.settings_results: list[RunSettings | None] = []
        """What each settings screen dismissed with."""
        themes, problems = load_themes([BUILTIN_THEMES])
        assert not problems, problems
        for theme in themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME

    def compose(self) -> ComposeResult:
        yield Static("host", id="host-body")
        yield Footer()

    def action_set_policy(self, policy: str) -> None:
        self.calls.append(f"set_policy({policy!r})")

    def action_set_transport(self, transport: str) -> None:
        self.calls.append(f"set_transport({transport!r})")

    def action_export(self) -> None:
        self.calls.append("export()")

    def action_toggle_breakdown(self) -> None:
        self.calls.append("toggle_breakdown()")

    def action_cycle_theme(self) -> None:
        self.calls.append("cycle_theme()")

    def action_help(self) -> None:
        self.calls.append("help()")
        self.push_screen(HelpScreen())

    def action_settings(self) -> None:
        self.calls.append("settings()")
        self.push_screen(
            SettingsScreen(self.settings, MODELS), callback=self.settings_results.append
        )
