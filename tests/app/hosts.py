"""A small stand-in for the console app: the actions the UI parts call, recorded."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.ui.palette import ConsoleCommands
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.screens.settings_screen import SettingsScreen
from vlmconsole.ui.themes import BUILTIN_THEMES, DEFAULT_THEME, load_themes

MODELS = ("tiny-idefics3", "qwen2-vl-2b")


class HostScreen(Screen[None]):
    """The stand-in for the console screen: its keys, and its actions recorded."""

    BINDINGS = [
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("e", "export", "Export"),
        Binding("b", "toggle_breakdown", "TTFT breakdown", show=False),
        Binding("comma", "settings", "Settings"),
    ]

    def __init__(self, host: HostApp) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        yield Static("host", id="host-body")
        yield Footer()

    def action_set_policy(self, policy: str) -> None:
        self.host.calls.append(f"set_policy({policy!r})")

    def action_set_transport(self, transport: str) -> None:
        self.host.calls.append(f"set_transport({transport!r})")

    def action_export(self) -> None:
        self.host.calls.append("export()")

    def action_toggle_breakdown(self) -> None:
        self.host.calls.append("toggle_breakdown()")

    def action_help(self) -> None:
        self.host.calls.append("help()")
        self.app.push_screen(HelpScreen())

    def action_settings(self) -> None:
        self.host.calls.append("settings()")
        self.app.push_screen(
            SettingsScreen(self.host.settings, MODELS), callback=self.host.settings_results.append
        )


class HostApp(App[None]):
    """Registers the console's themes and palette; records every action it is asked to run."""

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

    def get_default_screen(self) -> Screen[None]:
        return HostScreen(self)

    def action_cycle_theme(self) -> None:
        self.calls.append("app.cycle_theme()")
