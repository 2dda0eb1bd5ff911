"""The console as stories: what a person presses, on scripted sources, as SVG snapshots.

Each story drives the console with keys only (`pilot.press`), on ScriptedSources
(tests/app/scripted_sources.py): two real /metrics captures of the vLLM 0.32.0 test
server, the three turns that server really answered, the screenshots those turns sent,
a scripted container and its log. The clock stands still unless the story moves it;
previews go through textual-image's half-cell renderer.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.app.console_host import scripted_console, until
from tests.app.scripted_sources import FOLDER, ScriptedClock, ScriptedSources
from vlmconsole.model.connection import Link
from vlmconsole.model.turn_status import CANCELLED, OK
from vlmconsole.ui.app import VlmConsoleApp
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.screens.settings_screen import SettingsScreen
from vlmconsole.ui.widgets.chat_column import CONTEXT_FULL_HINT
from vlmconsole.ui.widgets.logs_pane import LogsPane

Story = Callable[[Pilot[None]], Awaitable[None]]
SMALL, LARGE = (80, 24), (160, 50)
POLICIES = ["Policy: none", "Policy: slide:8", "Policy: chunk:8"]


def console_of(pilot: Pilot[None]) -> VlmConsoleApp:
    app = pilot.app
    assert isinstance(app, VlmConsoleApp)
    return app


def sources_of(pilot: Pilot[None]) -> ScriptedSources:
    sources = console_of(pilot).console_screen.sources
    assert isinstance(sources, ScriptedSources)
    return sources


def chat_text(app: VlmConsoleApp) -> str:
    """Returns the words the chat column shows: each turn's line, reply and receipt."""
    return "\n".join(str(static.render()) for static in app.console_screen.chat.query(Static))


async def connected(pilot: Pilot[None]) -> None:
    """Waits until both captures are in and the chat client is built."""
    app, feed = console_of(pilot), sources_of(pilot).metrics
    await until(pilot, lambda: feed.served and app.console_screen.chat.engine is not None)


async def push_next(pilot: Pilot[None]) -> None:
    """Presses n and waits for the turn's receipt."""
    chat = console_of(pilot).console_screen.chat
    count = len(chat.records) + 1
    await pilot.press("n")
    await until(pilot, lambda: len(chat.records) == count and not chat.turn_busy)


async def three_turns(pilot: Pilot[None]) -> None:
    """The first three screenshots of the folder, pushed one after the other."""
    await connected(pilot)
    for _ in range(3):
        await push_next(pilot)


def then(*stories: Story) -> Story:
    """Returns the stories told one after the other."""

    async def told(pilot: Pilot[None]) -> None:
        for story in stories:
            await story(pilot)
        # steady cursors: a blinking one is drawn or not by when the picture is taken
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return told


def screen_is(kind: type[object]) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def wait(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, kind))

    return wait


# --- the main screen ------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["vlm-dark", "vlm-light", "vlm-contrast"])
@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x50"])
def test_main_screen_after_three_turns(
    snap_compare: Any, tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    app, _ = scripted_console(tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=size, run_before=then(three_turns))


def test_breakdown_shows_where_each_ttft_went(snap_compare: Any, tmp_path: Path) -> None:
    async def press_b(pilot: Pilot[None]) -> None:
        await pilot.press("b")

    app, _ = scripted_console(tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=then(three_turns, press_b))


# --- screens over it -------------------------------------------------------------------


def test_help_lists_every_key(snap_compare: Any, tmp_path: Path) -> None:
    async def press_help(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")

    app, _ = scripted_console(tmp_path)
    story = then(three_turns, press_help, screen_is(HelpScreen))
    assert snap_compare(app, terminal_size=(120, 50), run_before=then(story))


def test_settings_say_what_is_wrong_with_max_tokens(snap_compare: Any, tmp_path: Path) -> None:
    async def too_many_tokens(pilot: Pilot[None]) -> None:
        await pilot.press("s")
        await screen_is(SettingsScreen)(pilot)
        for _ in range(4):  # model, window policy, transport, then max tokens
            if getattr(pilot.app.focused, "id", None) == "max-tokens":
                break
            await pilot.press("tab")
        assert getattr(pilot.app.focused, "id", None) == "max-tokens"
        await pilot.press("end", "backspace", "backspace", *"99999", "enter")
        await until(pilot, lambda: bool(pilot.app._notifications))
        error = pilot.app.screen.query_one("#max-tokens-error", Static)
        assert str(error.render()) == "max tokens is a whole number from 1 to 32768"

    app, _ = scripted_console(tmp_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=then(connected, too_many_tokens))


def test_palette_finds_the_policies_by_three_letters(snap_compare: Any, tmp_path: Path) -> None:
    async def type_pol(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        await screen_is(CommandPalette)(pilot)
        await pilot.press(*"pol")
        found = pilot.app.screen.query_one(CommandList)

        def titles() -> list[str]:
            prompts = [found.get_option_at_index(i).prompt for i in range(found.option_count)]
            return [str(prompt).split("\n")[0] for prompt in prompts]

        # the palette searches in a worker: wait for the last search's hits, all of them
        await until(pilot, lambda: titles()[:3] == POLICIES and found.option_count == 6)

    app, _ = scripted_console(tmp_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=then(connected, type_pol))


# --- the server and its container ------------------------------------------------------


def test_logs_pane_follows_the_containers_log(snap_compare: Any, tmp_path: Path) -> None:
    async def press_l(pilot: Pilot[None]) -> None:
        await pilot.press("l")
        pane = pilot.app.query_one(LogsPane)
        await until(pilot, lambda: len(pane.shown_lines()) == 6)

    app, _ = scripted_console(tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=then(three_turns, press_l))


def test_connection_lost_says_how_old_the_data_is(snap_compare: Any, tmp_path: Path) -> None:
    clock = ScriptedClock(50.0)

    async def server_goes_away(pilot: Pilot[None]) -> None:
        screen = console_of(pilot).console_screen

        def failed(times: int) -> bool:
            return screen.connection.failures == times

        sources_of(pilot).metrics.go_down()
        for times in range(1, 6):  # each retry fails; the next one waits twice as long
            clock.advance(2.0)
            await until(pilot, partial(failed, times))
        assert screen.connection.link is Link.LOST

    app, _ = scripted_console(tmp_path, clock=clock)
    assert snap_compare(app, terminal_size=SMALL, run_before=then(three_turns, server_goes_away))


# --- turns that fail --------------------------------------------------------------------


def test_a_broken_screenshot_gets_a_failed_receipt(snap_compare: Any, tmp_path: Path) -> None:
    async def push_broken(pilot: Pilot[None]) -> None:
        chat = console_of(pilot).console_screen.chat
        await pilot.press("p", *"broken.png", "enter")
        await until(pilot, lambda: len(chat.records) == 2 and not chat.turn_busy)

    app, _ = scripted_console(tmp_path)
    story = then(connected, push_next, push_broken)
    assert snap_compare(app, terminal_size=SMALL, run_before=then(story))


def test_a_full_context_says_press_c(snap_compare: Any, tmp_path: Path) -> None:
    """A 2,048-token context: the third turn's 2,778-token prompt is refused."""

    async def hint_shown(pilot: Pilot[None]) -> None:
        app = console_of(pilot)
        assert app.console_screen.chat.records[-1].context_full
        await until(pilot, lambda: any(CONTEXT_FULL_HINT in n.message for n in app._notifications))

    small = ScriptedSources(tmp_path / "session", max_model_len=2048)
    app, _ = scripted_console(tmp_path, sources=small)
    assert snap_compare(app, terminal_size=(100, 30), run_before=then(three_turns, hint_shown))


# --- no snapshot: the story's facts ----------------------------------------------------


async def test_the_console_runs_on_scripted_sources_with_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connects: list[object] = []

    def no_network(self: socket.socket, address: object) -> None:
        connects.append(address)
        raise OSError(f"no network in this test: connect({address!r})")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    sources = ScriptedSources(tmp_path / "session", held=frozenset({4}))
    app, _ = scripted_console(tmp_path, sources=sources)
    async with app.run_test(size=LARGE) as pilot:
        chat = app.console_screen.chat
        await three_turns(pilot)
        await pilot.press("n")  # the fourth turn stays in flight ...
        await until(pilot, lambda: sources.engine.in_flight)
        await pilot.press("x")  # ... until cancelled
        await until(pilot, lambda: len(chat.records) == 4 and not chat.turn_busy)
        await pilot.press("c")
        await until(pilot, lambda: sources.engine.conversations == 2)
        await push_next(pilot)

        records = chat.records
        assert [r.status for r in records] == [OK, OK, OK, CANCELLED, OK]
        assert [r.images_in_request for r in records] == [1, 2, 3, 4, 1]
        assert [r.prompt_tokens for r in records] == [948, 1863, 2778, None, 948]
        assert records[3].error == "cancelled by the user"
        assert records[3].reply and records[0].reply.startswith("File 1287")
        assert [labels for _, labels in sources.engine.sent] == [
            (str(FOLDER / name),)
            for name in (
                "0001-login.png",
                "0002-dashboard.png",
                "0003-settings.png",
                "0004-report.png",
                "0005-logout.png",
            )
        ]
        shown = chat_text(app)
        assert "File 1287 90 4675" in shown, "the streamed reply is in the chat"
        assert "✓ turn 3 · image 863 tok · cached 1,792 / new 986 of 2,778" in shown
        assert "✗ turn 4 cancelled: cancelled by the user" in shown
        assert "new conversation after turn 4" in shown
        assert "✓ turn 5 · image 863 tok · cached 0 / new 948 of 948" in shown
    assert sources.closed and sources.engine.closed
    assert connects == []
