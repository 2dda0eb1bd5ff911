"""The help screen: the console's keys by what they do, the command line, the palette."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from vlmconsole.ui.console_commands import CONSOLE_COMMANDS, GROUPS

CLI_COMMANDS: tuple[tuple[str, str], ...] = (
    ("vlmconsole attach SERVER", "open the console on a running server"),
    ("vlmconsole demo", "the console on the built-in demo server"),
    ("vlmconsole status SERVER", "one look at a server (--watch, --json)"),
    ("vlmconsole bench SERVER", "push screenshot turns, headless"),
    ("vlmconsole fleet --prometheus URL", "every server a Prometheus scrapes, a row each"),
    ("vlmconsole serve -- attach SERVER", "the console in a browser tab"),
    ("vlmconsole ps", "list vLLM containers and their state"),
)
"""The commands a person can run from a shell, with one line each."""

PALETTE_LINE = (
    "ctrl+p opens the command palette: type a few letters of a command "
    "(policy, transport, export, theme ...) and press enter."
)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One line of the keys table: a group's name, or a key and what it does."""

    key: str
    description: str
    group: str


def key_text(key: str, display: str | None = None) -> str:
    """Returns a key as a person types it: `?` for question_mark, `ctrl+p` as it is."""
    if display:
        return display
    *modifiers, last = key.split("+")
    return "+".join([*modifiers, format_key(last)])


def key_rows() -> list[KeyRow]:
    """Returns the console's keys, grouped as GROUPS orders them, in the table's order.

    Made from the one table of console commands, so help cannot miss a key or name one
    that does nothing; Textual's own keys for scrolling and editing are not listed.
    """
    rows: list[KeyRow] = []
    for group in GROUPS:
        for command in CONSOLE_COMMANDS:
            if command.group == group and command.key is not None:
                rows.append(KeyRow(key_text(command.key, command.key_display), command.help, group))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists the keys, the command line commands and the palette; any of escape, ? or q closes."""

    BINDINGS = [
        Binding("escape", "close", "Close help"),
        Binding("question_mark", "close", "Close help", show=False),
        Binding("q", "close", "Close help", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen #help-body {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: round $primary;
        border-title-color: $accent;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen .help-heading {
        color: $accent;
        text-style: bold;
        margin: 1 0 0 0;
    }
    HelpScreen .help-line {
        color: $foreground;
    }
    HelpScreen .help-hint {
        color: $foreground-muted;
        margin: 1 0 0 0;
    }
    HelpScreen DataTable {
        height: auto;
        overflow-x: hidden;
        background: $surface;
    }
    HelpScreen DataTable > .datatable--header {
        color: $primary;
        background: $panel;
    }
    """

    def compose(self) -> ComposeResult:
        """Returns the help body: the keys table, the commands table, the palette line."""
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help"
            yield Static("Keys", classes="help-heading")
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=False)
            yield Static("Command line", classes="help-heading")
            yield DataTable(id="help-commands", cursor_type="none", zebra_stripes=True)
            yield Static("Command palette", classes="help-heading")
            yield Static(PALETTE_LINE, id="help-palette", classes="help-line")
            yield Static("escape, ? or q closes this screen", classes="help-hint")

    def on_mount(self) -> None:
        """Fills the tables from the screen beneath and the app's bindings."""
        keys: DataTable[str | Text] = self.query_one("#help-keys", DataTable)
        keys.add_columns("Key", "Does")
        group = ""
        for row in key_rows():
            if row.group != group:
                group = row.group
                keys.add_row(Text(group, style="bold"), "")
            keys.add_row(f"  {row.key}", row.description)
        commands: DataTable[str] = self.query_one("#help-commands", DataTable)
        commands.add_columns("Command", "Does")
        for command, does in CLI_COMMANDS:
            commands.add_row(command, does)
        # The body scrolls (arrows, page keys); the tables only show.
        keys.can_focus = commands.can_focus = False
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        """Closes the help screen."""
        self.dismiss(None)
