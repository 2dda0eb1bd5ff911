"""Settings: new run settings on save, None on cancel, bad input refused with its message."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.app.hosts import MODELS, HostApp
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.ui.screens.settings_screen import SettingsScreen

SIZE = (100, 40)


async def retype(pilot: Pilot[None], field: str, text: str) -> None:
    """Clicks a field, clears it and types `text`, as a person would."""
    await pilot.click(field)
    await pilot.press("ctrl+a", "ctrl+k", *text)


def error_text(screen: SettingsScreen, field: str) -> str:
    """Returns the message shown under a field ('' when hidden)."""
    line = screen.query_one(f"#{field}-error", Static)
    return str(line.render()) if line.display else ""


async def test_fields_open_on_the_current_settings() -> None:
    current = RunSettings(MODELS[1], WindowPolicy.parse("slide:4"), "url", 128)
    app = HostApp(current)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.query_one("#model", Select).value == MODELS[1]
        assert screen.query_one("#policy", Input).value == "slide:4"
        assert screen.query_one("#transport", Select).value == "url"
        assert screen.query_one("#max-tokens", Input).value == "128"


async def test_save_returns_the_new_run_settings() -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#model", Select).value = MODELS[1]
        screen.query_one("#transport", Select).value = "file"
        await retype(pilot, "#policy", "chunk:6")
        await retype(pilot, "#max-tokens", "256")
        await pilot.click("#save")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    assert app.settings_results == [
        RunSettings(MODELS[1], WindowPolicy("chunk", 6), "file", 256),
    ]


async def test_enter_on_the_last_field_and_ctrl_s_both_save() -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        await retype(pilot, "#max-tokens", "32")
        await pilot.press("enter")
        await pilot.press("comma")
        await retype(pilot, "#policy", "slide:8")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.settings_results == [
        RunSettings(MODELS[0], max_tokens=32),
        RunSettings(MODELS[0], WindowPolicy("slide", 8)),
    ]


async def test_cancel_and_escape_return_none() -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        await retype(pilot, "#policy", "slide:3")
        await pilot.click("#cancel")
        await pilot.press("comma")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    assert app.settings_results == [None, None]


async def test_slide_zero_is_refused_with_the_policy_message_shown() -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await retype(pilot, "#policy", "slide:0")
        await pilot.click("#save")
        await pilot.pause()
        assert screen.is_current
        assert "is not a window policy: use none, slide:N or chunk:N" in error_text(
            screen, "policy"
        )

        await retype(pilot, "#policy", "slide:2")
        await pilot.pause()
        assert error_text(screen, "policy") == ""
    assert app.settings_results == []


async def test_max_tokens_out_of_range_is_refused() -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await retype(pilot, "#max-tokens", "40000")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.is_current
        assert "1 to 32768" in error_text(screen, "max-tokens")
    assert app.settings_results == []


async def test_a_current_model_missing_from_the_list_is_still_offered() -> None:
    app = HostApp(RunSettings("served-elsewhere"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.settings_results == [RunSettings("served-elsewhere")]
