"""The help screen: every key of the screen beneath it, the command line, the palette."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

CLI_COMMANDS: tuple[tuple[str, str], ...] = (
    ("vlmconsole attach SERVER", "open the console on a running server"),
    ("vlmconsole demo", "the console on the built-in demo server"),
    ("vlmconsole status SERVER", "one look at a server (--watch, --json)"),
    ("vlmconsole bench SERVER", "push screenshot turns, headless"),
    ("vlmconsole ps", "list vLLM containers and their state"),
)
"""The commands a person can run from a shell, with one line each."""

PALETTE_LINE = (
    "ctrl+p opens the command palette: type a few letters of a command "
    "(policy, transport, export, theme ...) and press enter."
)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One line of the keys table."""

    key: str
    description: str
    where: str


def key_rows(beneath: Screen[object] | None, app_bindings: list[Binding]) -> list[KeyRow]:
    """Returns a row for every binding a person can press on `beneath`, hidden ones too.

    The screen's active bindings (focused widget, screen, app) come first, then any of
    the app's own bindings that are not active right now; one row per key.
    """
    rows: dict[str, KeyRow] = {}
    if beneath is not None:
        for key, active in beneath.active_bindings.items():
            where = _where(active.node, beneath)
            rows[key] = KeyRow(_key_text(active.binding), _describe(active.binding), where)
    for binding in app_bindings:
        if binding.key not in rows:
            rows[binding.key] = KeyRow(_key_text(binding), _describe(binding), "app")
    return list(rows.values())


def _where(node: object, screen: Screen[object]) -> str:
    """Returns where a binding is defined: `app`, `screen` or the widget's class name."""
    if node is screen.app:
        return "app"
    return "screen" if node is screen else type(node).__name__


def _key_text(binding: Binding) -> str:
    """Returns the key as a person types it: `?` for question_mark, `ctrl+p` as is."""
    if binding.key_display:
        return binding.key_display
    *modifiers, key = binding.key.split("+")
    return "+".join([*modifiers, format_key(key)])


def _describe(binding: Binding) -> str:
    """Returns the binding's description, or its action when it has none."""
    return binding.description or binding.action.replace("_", " ")


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
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
            yield Static("Command line", classes="help-heading")
            yield DataTable(id="help-commands", cursor_type="none", zebra_stripes=True)
            yield Static("Command palette", classes="help-heading")
            yield Static(PALETTE_LINE, id="help-palette", classes="help-line")
            yield Static("escape, ? or q closes this screen", classes="help-hint")

    def on_mount(self) -> None:
        """Fills the tables from the screen beneath and the app's bindings."""
        keys: DataTable[str] = self.query_one("#help-keys", DataTable)
        keys.add_columns("Key", "Does", "Where")
        app_bindings = list(Binding.make_bindings(self.app.BINDINGS))
        for row in key_rows(self._beneath(), app_bindings):
            keys.add_row(row.key, row.description, row.where)
        commands: DataTable[str] = self.query_one("#help-commands", DataTable)
        commands.add_columns("Command", "Does")
        for command, does in CLI_COMMANDS:
            commands.add_row(command, does)
        # The body scrolls (arrows, page keys); the tables only show.
        keys.can_focus = commands.can_focus = False
        self.query_one("#help-body").focus()

    def _beneath(self) -> Screen[object] | None:
        """Returns the screen this help was opened over, or None when it is the only one."""
        stack = self.app.screen_stack
        index = stack.index(self) if self in stack else len(stack)
        return stack[index - 1] if index > 0 else None

    def action_close(self) -> None:
        """Closes the help screen."""
        self.dismiss(None)
