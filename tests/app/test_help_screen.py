"""The help screen lists the console's keys by what they do, the command line and the palette."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.app.hosts import HostApp
from vlmconsole.ui.screens.help_screen import HelpScreen


def table_rows(screen: HelpScreen, table_id: str) -> list[list[str]]:
    """Returns the table's cells as text, row by row."""
    table: DataTable[str] = screen.query_one(table_id, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_help_lists_the_console_keys_grouped_hidden_ones_too_and_closes_on_escape() -> None:
    from vlmconsole.ui.console_commands import CONSOLE_COMMANDS, GROUPS

    app = HostApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = table_rows(app.screen, "#help-keys")
        headings = [row[0] for row in rows if not row[0].startswith("  ")]
        assert headings == list(GROUPS), "the console's keys, grouped, and nothing else"
        keys = {row[0].strip(): row[1] for row in rows if row[0].startswith("  ")}
        assert keys["q"].startswith("Quit") and keys["?"].startswith("Every key")
        assert keys["h"].startswith("Show or hide"), "a key hidden from the footer is listed"
        assert keys["x"].startswith("End the turn in flight")
        assert len(keys) == sum(1 for c in CONSOLE_COMMANDS if c.key is not None)
        assert "ctrl+pgup" not in keys and "super+c" not in keys, "no Textual generics"

        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_help_lists_the_command_line_and_the_palette() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        commands = [row[0] for row in table_rows(app.screen, "#help-commands")]
        from vlmconsole.cli import COMMANDS

        for command in COMMANDS:  # every command the command line has
            assert any(line.startswith(f"vlmconsole {command}") for line in commands), command
        palette = app.screen.query_one("#help-palette", Static)
        assert "ctrl+p" in str(palette.render())


async def test_help_closes_on_question_mark_and_on_q_without_quitting() -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        for key in ("question_mark", "q"):
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            assert not isinstance(app.screen, HelpScreen)
        assert app.is_running
        assert app.calls == ["help()", "help()"]
