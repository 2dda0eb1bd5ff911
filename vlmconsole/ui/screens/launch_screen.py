"""What the server runs with: its launch settings, each with its flag and where it was
read, and the command line (secrets redacted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from vlmconsole.views.launch_view import launch_table

if TYPE_CHECKING:
    from vlmconsole.model.launch_config import LaunchConfig


class LaunchScreen(ModalScreen[None]):
    """Lists the server's launch settings; escape, i or q closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("i", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    DEFAULT_CSS = """
    LaunchScreen {
        align: center middle;
        background: $background 60%;
    }
    LaunchScreen #launch-body {
        width: 90%;
        max-width: 140;
        height: 90%;
        border: round $primary;
        border-title-color: $accent;
        background: $surface;
        padding: 0 1;
    }
    LaunchScreen .launch-hint {
        color: $foreground-muted;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, launch: LaunchConfig, server: str) -> None:
        super().__init__()
        self.launch = launch
        self.server = server

    def compose(self) -> ComposeResult:
        """Returns the settings and how to close the screen."""
        with VerticalScroll(id="launch-body") as body:
            body.border_title = "What the server runs with"
            yield Static(f"{self.server} runs with:", classes="launch-heading", markup=False)
            yield Static(launch_table(self.launch), id="launch-list")
            yield Static(
                "escape, i or q closes this screen · /server_info tells everything when the "
                "server runs with VLLM_SERVER_DEV_MODE=1",
                classes="launch-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#launch-body").focus()

    def action_close(self) -> None:
        """Closes the screen."""
        self.dismiss()
