"""Turn after turn, the footer lets go of the keys it drew before (they held ~0.5 MB a turn)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.app.console_host import scripted_console, until


def footer_watchers(footer: Footer) -> int:
    """Returns how many footer keys the footer's `compact` watchers hold."""
    pairs = getattr(footer, "__watchers", {}).get("compact", [])
    return sum(isinstance(node, FooterKey) for node, _ in pairs)


async def test_removed_footer_keys_are_not_kept_alive_by_the_footer(tmp_path: Path) -> None:
    app, _ = scripted_console(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        chat = app.console_screen.chat
        await until(pilot, lambda: chat.engine is not None)
        footer = app.console_screen.query_one(Footer)
        held: list[int] = []
        for n in range(1, 6):  # each turn dims and undims `x`: the footer redraws its keys
            await pilot.press("n")
            await until(pilot, lambda: len(chat.records) == n and not chat.turn_busy)  # noqa: B023
            await pilot.pause()
            held.append(footer_watchers(footer))
        shown = len(footer.query(FooterKey))
        assert shown > 5
        # bounded by the redraws in progress, not growing a footer's worth every turn
        assert held[-1] - held[1] < shown, (held, shown)
