"""One turn in the chat: what was pushed, the streamed reply, the receipt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from vlmconsole.model.screenshot_formats import PREVIEW_SIZE
from vlmconsole.ui.terminal_probe import preview_widgets
from vlmconsole.views.receipt import breakdown_text, receipt
from vlmconsole.views.safe_text import plain, strip_control

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from textual.widgets.markdown import MarkdownStream

    from vlmconsole.model.finding_types import Finding
    from vlmconsole.model.turn_record import TurnRecord

CELL_PREVIEW_PIXELS = (48, 24)
"""Pixels enough for the 24x6-cell preview drawn in half cells (two pixels a cell)."""


def preview_pixels(preview: str) -> tuple[int, int]:
    """Returns the largest preview image worth keeping for the preview mode.

    Half-cell and unicode drawing use a pixel or two a cell, so a turn on screen
    keeps a few kilobytes, not a 256x144 image and its pixel data (~0.8 MB a turn
    was measured); sixel and the terminal graphics protocol draw real pixels.
    """
    return PREVIEW_SIZE if preview in ("sixel", "tgp") else CELL_PREVIEW_PIXELS


REPLY_SHOWN_CHARS = 2000
"""Characters of a reply drawn in the chat; the rest is in the journal and the exports.
A reply is drawn as markdown while it streams, and a long one (thousands of tokens,
often hundreds of markdown blocks) kept the event loop busy for seconds per turn."""
WAITING = "… waiting for the first token"
ANSWERING = "… answering (x cancels)"


class TurnView(Widget):
    """A pushed turn and what came back."""

    DEFAULT_CSS = """
    TurnView { height: auto; margin: 0 0 1 0; }
    TurnView .pushed { height: auto; color: $text-muted; }
    TurnView .pushed > Static { width: 1fr; }
    TurnView #preview { width: 24; height: 6; margin-right: 1; }
    TurnView #placeholder { width: 24; height: 3; border: round $panel-lighten-2;
        content-align: center middle; color: $text-muted; margin-right: 1; }
    TurnView Markdown { margin: 0; padding: 0 1; background: $surface; }
    TurnView #reply-more { height: auto; color: $text-muted; padding: 0 1; display: none; }
    TurnView.-more #reply-more { display: block; }
    TurnView #receipt { height: auto; color: $text; }
    TurnView.-failed #receipt { color: $error; }
    TurnView #findings { height: auto; color: $warning; display: none; }
    TurnView.-findings #findings { display: block; }
    TurnView #breakdown { height: auto; display: none; }
    TurnView.-breakdown #breakdown { display: block; }
    """

    show_breakdown: reactive[bool] = reactive(False)

    def __init__(
        self,
        turn: int,
        text: str,
        image_label: str | None,
        image_size: tuple[int, int] | None,
        image: PILImage | None,
        preview: str,
    ) -> None:
        super().__init__(id=f"turn-{turn}")
        self.turn = turn
        self.text = text
        self.image_label = image_label
        self.image_size = image_size
        self._image = image
        """The small copy to preview; let go once the preview widget has it."""
        self.preview = preview
        """"tgp" (Kitty), "sixel", "halfcell" (tests, snapshots), "none"; or "auto"."""
        self.record: TurnRecord | None = None
        self._finding_titles: tuple[str, ...] = ()
        self._stream: MarkdownStream | None = None
        self._shown_chars = 0

    def compose(self) -> ComposeResult:
        """Returns the pushed image and words, the reply, the receipt."""
        pushed = Text(f"▸ turn {self.turn}  ", style="bold")
        if self.image_label:
            pushed.append_text(plain(self.image_label))
            if self.image_size:
                pushed.append(f" ({self.image_size[0]}x{self.image_size[1]})")
        if self.text:
            pushed.append("  ")
            pushed.append_text(plain(self.text, "italic"))
        with Horizontal(classes="pushed") if self.image_label else Vertical(classes="pushed"):
            if self.image_label:
                yield self._preview_widget()
            yield Static(pushed)
        from textual.widgets import Markdown  # markdown-it: ~25 ms, not before the first turn

        yield Markdown("", id="reply")
        yield Static("", id="reply-more", classes="reply-more")
        yield Static(Text(WAITING, style="dim"), id="receipt")
        yield Static("", id="findings")
        yield Static("", id="breakdown")

    def _preview_widget(self) -> Widget:
        size = f"{self.image_size[0]}x{self.image_size[1]}" if self.image_size else "?"
        placeholder = Static(f"[screenshot {size}]", id="placeholder", markup=False)
        image, self._image = self._image, None
        if self.preview == "none" or image is None:
            return placeholder
        try:
            widgets = preview_widgets()
            drawn = {"sixel": widgets.SixelImage, "tgp": widgets.TGPImage}
            preview: Widget = drawn.get(self.preview, widgets.HalfcellImage)(image, id="preview")
            return preview
        except Exception:  # a preview must never cost the turn
            return placeholder

    async def append_reply(self, text: str) -> None:
        """Streams more of the reply in, as markdown without control characters, up to
        REPLY_SHOWN_CHARS characters."""
        room = REPLY_SHOWN_CHARS - self._shown_chars
        if room <= 0:
            return
        text = text[:room]
        self._shown_chars += len(text)
        if self._stream is None:
            from textual.widgets import Markdown

            self._stream = Markdown.get_stream(self.query_one("#reply", Markdown))
            # the first token is in: the receipt no longer says it is awaited
            self.query_one("#receipt", Static).update(Text(ANSWERING, style="dim"))
        await self._stream.write(strip_control(text))

    async def finish(self, record: TurnRecord) -> None:
        """Shows the turn's receipt (and its breakdown when asked)."""
        streamed = self._stream is not None
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.record = record
        if record.reply and (not streamed or not record.ok):
            # a replayed turn, or a failed one: show what the journal kept
            shown = record.reply[:REPLY_SHOWN_CHARS]
            from textual.widgets import Markdown

            await self.query_one("#reply", Markdown).update(strip_control(shown))
        more = len(record.reply) - REPLY_SHOWN_CHARS
        if more > 0:
            self.add_class("-more")
            self.query_one("#reply-more", Static).update(
                Text(f"… {more:,} more characters of the reply: in the journal and the exports")
            )
        self.set_class(not record.ok, "-failed")
        self.query_one("#receipt", Static).update(receipt(record))
        self.query_one("#breakdown", Static).update(breakdown_text(record))

    def show_findings(self, found: Sequence[Finding]) -> None:
        """Marks the receipt with the findings that name this turn (f lists them all)."""
        from vlmconsole.views.findings_view import MARKS  # with the first turn, not at start

        titles = tuple(finding.title for finding in found)
        if titles == self._finding_titles:
            return
        self._finding_titles = titles
        self.set_class(bool(titles), "-findings")
        marks = Text()
        for finding in found:
            mark, style = MARKS.get(finding.severity, ("●", ""))
            marks.append(f"{mark} ", style=style)
            marks.append_text(plain(finding.title))
            marks.append(" (f: why, and what to change)\n", style="dim")
        marks.rstrip()
        self.query_one("#findings", Static).update(marks)

    def watch_show_breakdown(self, show: bool) -> None:
        self.set_class(show, "-breakdown")
