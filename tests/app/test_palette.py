"""The console's commands in the palette: found by a few letters, each runs its app action."""

from __future__ import annotations

from textual.command import Command, CommandList, CommandPalette, DiscoveryHit, Hit
from textual.pilot import Pilot

from tests.app.hosts import HostApp
from vlmconsole.ui.console_commands import palette_commands
from vlmconsole.ui.palette import ConsoleCommands


async def highlighted_after_typing(pilot: Pilot[None], text: str, expected: str) -> str | None:
    """Types `text` into the open palette; returns the highlighted command once it is `expected`.

    The palette searches in a worker and shows hits in batches, so this waits for the
    list to settle (up to about two seconds) instead of sleeping a fixed time.
    """
    await pilot.press(*text)
    command_list = pilot.app.screen.query_one(CommandList)
    highlighted: str | None = None
    for _ in range(40):
        option = command_list.highlighted_option
        highlighted = option.hit.text if isinstance(option, Command) else None
        if highlighted == expected:
            break
        await pilot.pause(0.05)
    return highlighted


async def test_typing_chunk_finds_the_chunk_policy_and_enter_runs_it() -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        assert await highlighted_after_typing(pilot, "chunk", "Policy: chunk:8") == (
            "Policy: chunk:8"
        )
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
    assert app.calls == ["set_policy('chunk:8')"]


async def test_the_palette_opens_settings_and_help_by_name() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+p")
        assert await highlighted_after_typing(pilot, "help", "Help") == "Help"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
    assert app.calls == ["help()"]


async def test_search_scores_only_matching_commands() -> None:
    app = HostApp()
    async with app.run_test():
        provider = ConsoleCommands(app.screen)
        hits = [hit async for hit in provider.search("transport")]
        assert all(isinstance(hit, Hit) for hit in hits)
        assert sorted(hit.text or "" for hit in hits) == [
            "Transport: base64",
            "Transport: file",
            "Transport: url",
            "Transport: uuid",
        ]
        assert all(hit.help for hit in hits)
        assert [hit async for hit in provider.search("zzzz")] == []


async def test_every_command_is_discovered_and_runs_its_action() -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        provider = ConsoleCommands(app.screen)
        hits = [hit async for hit in provider.discover()]
        assert [hit.text for hit in hits] == [
            command.palette_title for command in palette_commands()
        ]
        for hit in hits:
            assert isinstance(hit, DiscoveryHit) and hit.help
            if hit.text not in ("Help", "Settings"):
                await hit.command()
        await pilot.pause()
        screen = app.screen
    expected = [
        c.action if "(" in c.action else f"{c.action}()"
        for c in palette_commands()
        if c.title not in ("help", "settings")
        and (hasattr(screen, f"action_{c.action_name}") or c.action.startswith("app."))
        and c.action_name not in ("quit", "command_palette")
    ]  # fmt: skip
    assert "set_policy('none')" in expected and "export()" in expected
    assert app.calls == expected
