"""The console's commands in Textual's command palette (ctrl+p).

Each command runs an app action by name, so the palette and the keys share one
implementation: the app defines `action_set_policy`, `action_export` and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One palette entry: what it is called, the app action it runs, one line of help."""

    title: str
    action: str
    help: str


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand(
        "Policy: none", "set_policy('none')", "Keep every image: the prefix cache hits it all"
    ),
    PaletteCommand(
        "Policy: slide:8",
        "set_policy('slide:8')",
        "Keep the last 8 images; each turn re-prefills the window",
    ),
    PaletteCommand(
        "Policy: chunk:8",
        "set_policy('chunk:8')",
        "Drop the oldest half when a 9th image comes; cached in between",
    ),
    PaletteCommand(
        "Transport: base64", "set_transport('base64')", "Send images inline as data URLs"
    ),
    PaletteCommand(
        "Transport: url",
        "set_transport('url')",
        "Serve images on a loopback URL (the server must run on this machine)",
    ),
    PaletteCommand(
        "Transport: file",
        "set_transport('file')",
        "Send file:// paths (server needs --allowed-local-media-path)",
    ),
    PaletteCommand(
        "New conversation",
        "new_conversation",
        "Start over: the next turn carries none of the earlier turns (when the context is full)",
    ),
    PaletteCommand("Cancel the turn in flight", "cancel_turn", "Journaled as cancelled"),
    PaletteCommand("Export session", "export", "Write the turns as CSV, JSONL and an HTML report"),
    PaletteCommand("Settings…", "settings", "Model, window policy, transport and max tokens"),
    PaletteCommand("Help", "help", "Every key, the command line and this palette"),
    PaletteCommand(
        "Toggle TTFT breakdown",
        "toggle_breakdown",
        "Show or hide where each turn's time to first token went",
    ),
    PaletteCommand("Next theme", "cycle_theme", "Switch to the next colour theme"),
)
"""Every command the console adds to the palette, in the order they are discovered."""


class ConsoleCommands(Provider):
    """Offers PALETTE_COMMANDS; choosing one runs its action on the app."""

    async def search(self, query: str) -> Hits:
        """Yields a Hit for each command whose title fuzzily matches `query`, with its score."""
        matcher = self.matcher(query)
        for command in PALETTE_COMMANDS:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self.app.run_action, command.action),
                    text=command.title,
                    help=command.help,
                )

    async def discover(self) -> Hits:
        """Yields every command, in order, for the palette before anything is typed."""
        for command in PALETTE_COMMANDS:
            yield DiscoveryHit(
                command.title,
                partial(self.app.run_action, command.action),
                text=command.title,
                help=command.help,
            )
