"""The console's keys on its bottom line: dimmed until they can run, whole or not at all,
the palette's key on the right, a click presses the key, and no widgets made per turn."""

from __future__ import annotations

from pathlib import Path

from textual.widget import Widget

from tests.app.console_host import scripted_console, until
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.textual_private import screen_lines
from vlmconsole.ui.widgets.key_bar import KeyBar


def bottom_line(app: object) -> str:
    return screen_lines(app.screen)[-1]  # type: ignore[attr-defined]


def enabled(bar: KeyBar) -> dict[str, bool]:
    shown, _palette = bar.keys()
    return {key.display: key.enabled for key in shown}


def key_widgets(widget: Widget) -> list[str]:
    """Returns the widgets on the screen that draw keys (Textual's footer made one a key)."""
    names = ("Footer", "FooterKey", "KeyBar")
    return [type(w).__name__ for w in widget.screen.walk_children() if type(w).__name__ in names]


async def test_keys_dim_until_they_can_run_and_turns_make_no_widgets(tmp_path: Path) -> None:
    app, _ = scripted_console(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        chat = app.console_screen.chat
        bar = app.console_screen.query_one(KeyBar)
        await until(pilot, lambda: chat.engine is not None)
        await pilot.pause()
        keys = enabled(bar)
        assert keys["q"] and keys["?"] and keys["n"], keys
        assert not keys["x"], "no turn in flight: cancel is dimmed"
        assert not keys["r"], "nothing sent yet: resend is dimmed"
        assert key_widgets(bar) == ["KeyBar"] and not bar.children
        for n in range(1, 4):  # each turn makes `x` available, then not
            await pilot.press("n")
            await until(pilot, lambda: len(chat.records) == n and not chat.turn_busy)  # noqa: B023
            await pilot.pause()
        assert enabled(bar)["r"], "a screenshot was sent: resend can run"
        assert key_widgets(bar) == ["KeyBar"] and not bar.children, (
            "it redraws; it makes no widgets"
        )


async def test_only_whole_keys_show_and_the_palette_stays_on_the_right(tmp_path: Path) -> None:
    app, _ = scripted_console(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = bottom_line(app)
        assert line.startswith("q quit ? help "), line
        assert line.rstrip().endswith("▏^p palette"), line
        shown, _ = app.console_screen.query_one(KeyBar).keys()
        for key in shown:  # a key is on the line whole, or not at all
            text = f"{key.display} {key.description}"
            assert text in line or key.display + " " not in line.split("▏")[0][-12:], text
        assert "t theme" not in line, "too narrow for every key: the last ones go"


async def test_a_click_presses_the_key_and_a_dimmed_one_says_why(tmp_path: Path) -> None:
    app, _ = scripted_console(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        chat = app.console_screen.chat
        await until(pilot, lambda: chat.engine is not None)
        bar = app.console_screen.query_one(KeyBar)
        line = bottom_line(app)
        await pilot.click(KeyBar, offset=(line.index("x cancel turn"), 0))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "no turn in flight" in messages, messages
        await pilot.hover(KeyBar, offset=(line.index("? help") + 2, 0))
        await pilot.pause()
        assert bar.tooltip == "Every key, the command line and the palette"
        await pilot.click(KeyBar, offset=(line.index("? help"), 0))
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
