"""The chat: every turn of the session, newest at the bottom, followed as it grows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from vlmconsole.ui.textual_private import release_styles_caches
from vlmconsole.ui.widgets.turn_view import TurnView

if TYPE_CHECKING:
    from vlmconsole.model.finding_types import Finding
    from vlmconsole.model.turn_record import TurnRecord

SHOWN_TURNS = 40
"""Turns kept on screen; older ones stay in the journal and the exports."""

HINT = (
    "Push a screenshot: press p, type a path (Tab completes), Enter.  "
    "n: next image from the folder · r: send the last one again · w: watch the folder"
)


class ChatLog(VerticalScroll):
    """The turns of the session."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; }
    ChatLog #hint { color: $text-muted; }
    ChatLog #older { color: $text-muted; height: auto; display: none; }
    ChatLog.-older #older { display: block; }
    ChatLog .divider { color: $text-muted; text-style: bold; margin: 0 0 1 0; }
    """

    show_breakdown: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self._views: dict[int, TurnView] = {}
        self._hidden = 0

    def compose(self):  # type: ignore[no-untyped-def]
        """Returns the hint shown before the first turn, and the note on older turns."""
        yield Static(HINT, id="hint", markup=False)
        yield Static("", id="older", markup=False)

    def _view(self, turn: int) -> TurnView | None:
        return self._views.get(turn)

    async def add_turn(self, view: TurnView) -> None:
        """Adds a turn that was just sent; past SHOWN_TURNS the oldest leaves the screen."""
        for hint in self.query("#hint"):
            await hint.remove()
        view.show_breakdown = self.show_breakdown
        self._views[view.turn] = view
        await self.mount(view)
        while len(self._views) > SHOWN_TURNS:
            oldest = self._views.pop(min(self._views))
            await oldest.remove()
            release_styles_caches()  # dead turns' render caches (textual#6665)
            self._hidden += 1
            self.add_class("-older")
            self.query_one("#older", Static).update(
                f"{self._hidden} earlier turns: in the journal and the exports (e)"
            )
        self._follow()

    async def add_divider(self, text: str) -> None:
        """Adds a line between turns, such as where a new conversation starts."""
        await self.mount(Static(text, classes="divider", markup=False))
        self._follow()

    async def append_reply(self, turn: int, text: str) -> None:
        """Streams reply words into turn `turn`."""
        view = self._view(turn)
        if view is not None:
            await view.append_reply(text)
            self._follow()

    async def finish(self, record: TurnRecord) -> None:
        """Shows a turn's receipt."""
        view = self._view(record.turn)
        if view is not None:
            await view.finish(record)
            self._follow()

    async def mark(self, found: Sequence[Finding]) -> None:
        """Marks every turn on screen with the findings that name it."""
        by_turn: dict[int, list[Finding]] = {}
        for finding in found:
            for turn in finding.turns:
                by_turn.setdefault(turn, []).append(finding)
        for view in self.query(TurnView):
            if view.record is not None:
                view.show_findings(by_turn.get(view.record.turn, []))

    def _follow(self) -> None:
        """Scrolls to the newest line once the layout has it (a turn's receipt or reply
        can change its height: scrolling at once left the chat short of the end)."""
        self.call_after_refresh(self.scroll_end, animate=False)

    def watch_show_breakdown(self, show: bool) -> None:
        for view in self._views.values():
            view.show_breakdown = show
        self._follow()  # the newest turn's breakdown is what the key was pressed for

    def on_resize(self) -> None:
        self._follow()  # a pane opened below (the logs) keeps the newest turn in view
