"""The console's commands in Textual's command palette (ctrl+p).

The entries come from the one table of console commands (`console_commands.py`);
each runs its action by name on the console screen (or the app: `app.quit`), as its
key does.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from vlmconsole.ui.console_commands import palette_commands


class ConsoleCommands(Provider):
    """Offers the console's commands; choosing one runs its action on the app."""

    async def search(self, query: str) -> Hits:
        """Yields a Hit for each command whose title fuzzily matches `query`, with its score."""
        matcher = self.matcher(query)
        for command in palette_commands():
            score = matcher.match(command.palette_title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.palette_title),
                    partial(self.app.run_action, command.action, self.screen),
                    text=command.palette_title,
                    help=command.help,
                )

    async def discover(self) -> Hits:
        """Yields every command, in order, for the palette before anything is typed."""
        for command in palette_commands():
            yield DiscoveryHit(
                command.palette_title,
                partial(self.app.run_action, command.action, self.screen),
                text=command.palette_title,
                help=command.help,
            )
