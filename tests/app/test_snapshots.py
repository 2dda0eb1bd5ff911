"""SVG snapshots of the main screen: two themes, two sizes, real captures and real turns.

Deterministic: a scripted observer replays two real /metrics captures, the clock
is fixed, and three turns recorded from the real vLLM test server are replayed
into the chat (previews through textual-image's half-cell renderer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.console_host import ASSETS, console_for, until
from tests.support.fixtures import snapshot
from vlmconsole.model.observation import Observation
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.sources.journal import read_journal
from vlmconsole.sources.screenshots import preview_image, synthetic_asset
from vlmconsole.ui.app import VlmConsoleApp
from vlmconsole.ui.messages import TurnFinished, TurnStarted

JOURNAL = Path(__file__).resolve().parents[1] / "fixtures" / "journal-real-vllm.jsonl"
INFO = ServerInfo(
    "http://127.0.0.1:8000",
    "0.32.0",
    True,
    "ok",
    (ModelCard("vlmconsole-tiny-idefics3", "/models/tiny-idefics3", 32768),),
    0,
)


class ReplayObserver:
    """The rest capture, then the after capture ten seconds later, from then on."""

    def __init__(self) -> None:
        self.calls = 0
        self.pages = [snapshot("vllm-0.32.0-rest", 0.0), snapshot("vllm-0.32.0-after", 10.0)]

    async def observe(self) -> Observation:
        """Returns the next capture (the last one again and again)."""
        self.calls += 1
        return Observation(INFO, self.pages[min(self.calls - 1, 1)])

    async def aclose(self) -> None:
        """Nothing to close."""


def console(tmp_path: Path, theme: str) -> tuple[VlmConsoleApp, ReplayObserver]:
    observer = ReplayObserver()
    app = console_for(
        INFO.url, tmp_path, observer=observer, theme=theme, images=ASSETS, clock=lambda: 50.0
    )
    return app, observer


def replay_turns(
    app: VlmConsoleApp, observer: ReplayObserver
) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await until(
            pilot, lambda: observer.calls >= 3 and app.console_screen.chat.engine is not None
        )
        for record in read_journal(JOURNAL).records:
            image = record.new_images[0]
            preview = preview_image(synthetic_asset(1280, 720, seed=record.turn))
            app.post_message(
                TurnStarted(
                    record.turn,
                    "What changed on this screen?",
                    image.label,
                    (image.width, image.height),
                    preview,
                )
            )
            app.post_message(TurnFinished(record))
        await until(pilot, lambda: len(app.console_screen.chat.records) == 3)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", ["vlm-dark", "vlm-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_main_screen(snap_compare: Any, tmp_path: Path, theme: str, size: tuple[int, int]) -> None:
    app, observer = console(tmp_path, theme)
    assert snap_compare(app, terminal_size=size, run_before=replay_turns(app, observer))


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    app, observer = console(tmp_path, "vlm-dark")

    async def open_help(pilot: Pilot[None]) -> None:
        await replay_turns(app, observer)(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 50), run_before=open_help)
