"""The findings screen: what this conversation's turns show, with evidence and advice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from vlmconsole.views.findings_view import findings_text

if TYPE_CHECKING:
    from vlmconsole.model.finding_types import Finding


class FindingsScreen(ModalScreen[None]):
    """Lists the findings of the conversation so far; escape, f or q closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close findings"),
        Binding("f", "close", "Close findings", show=False),
        Binding("q", "close", "Close findings", show=False),
    ]

    DEFAULT_CSS = """
    FindingsScreen {
        align: center middle;
        background: $background 60%;
    }
    FindingsScreen #findings-body {
        width: 90%;
        max-width: 120;
        height: 90%;
        border: round $primary;
        border-title-color: $accent;
        background: $surface;
        padding: 0 1;
    }
    FindingsScreen .findings-hint {
        color: $foreground-muted;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, found: Sequence[Finding], turns: int) -> None:
        super().__init__()
        self.found = tuple(found)
        self.turns = turns

    def compose(self) -> ComposeResult:
        """Returns the findings, most severe first, and how to close the screen."""
        heading = (
            f"In the {self.turns} turn(s) of this conversation, and the server's own numbers:"
            if self.turns
            else "No turn yet (push a screenshot: p or n); the server's own numbers:"
        )
        with VerticalScroll(id="findings-body") as body:
            body.border_title = "Findings"
            yield Static(findings_text(self.found, heading, limit=40), id="findings-list")
            yield Static("escape, f or q closes this screen", classes="findings-hint")

    def on_mount(self) -> None:
        self.query_one("#findings-body").focus()

    def action_close(self) -> None:
        """Closes the findings screen."""
        self.dismiss()
