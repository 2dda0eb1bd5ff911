"""The KV cache's usage as a bar, its capacity, and a sparkline of recent usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from vlmconsole.ui.widgets.quiet_sparkline import QuietSparkline
from vlmconsole.ui.widgets.quiet_update import update_if_changed
from vlmconsole.views import formatting as fmt

if TYPE_CHECKING:
    from vlmconsole.model.server_stats import KvCapacity

WARN_AT = 0.70
"""Usage from which the gauge reads as a warning."""
HIGH_AT = 0.90
"""Usage above which the gauge reads as high: preemptions are near."""
TITLE = "KV cache"
TITLE_WIDTH = 9
MIN_BAR = 6
"""Cells of bar below which the capacity is left out of the line."""
_EIGHTHS = " ▏▎▍▌▋▊▉"
LEVELS = ("-ok", "-warn", "-high")


def gauge_level(usage: float | None) -> str | None:
    """Returns the gauge's CSS class for a 0..1 usage: `-ok` below 70%, `-warn` up to 90%,
    `-high` above, or None without a value."""
    if usage is None:
        return None
    if usage < WARN_AT:
        return "-ok"
    return "-warn" if usage <= HIGH_AT else "-high"


def bar_text(fraction: float, width: int) -> Text:
    """Returns a bar `width` cells wide filled to `fraction` (in eighths of a cell)."""
    if width <= 0:
        return Text()
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (_EIGHTHS[part] if part else "")
    bar = Text(filled)
    bar.append("░" * (width - cell_len(filled)), style="dim")
    return bar


def usage_text(usage: float | None, capacity: KvCapacity | None) -> str:
    """Returns the usage with the capacity it is a share of, such as `12.5% of 2,097,152 tok`."""
    text = fmt.percent(usage)
    if usage is not None and capacity is not None and capacity.capacity_tokens:
        text += f" of {fmt.count(capacity.capacity_tokens)} tok"
    return text


class KvGauge(Widget):
    """`KV cache ███████░░░ 75.0% of 32,000 tok` over a sparkline of recent usage.

    The bar's colour follows the usage through the classes `-ok` (below 70%),
    `-warn` (70 to 90%) and `-high` (above 90%), which the CSS maps to the theme
    variables `$gauge-ok`, `$gauge-warn` and `$gauge-high`: the app's themes (or its
    `get_theme_variable_defaults`) must define them.
    """

    DEFAULT_CSS = """
    KvGauge {
        height: auto;
        width: 1fr;

        & > Horizontal {
            height: 1;
        }
        & .kv-title {
            width: 9;
            text-style: bold;
        }
        & .kv-bar {
            width: 1fr;
            text-wrap: nowrap;
        }
        & .kv-value {
            width: auto;
            padding-left: 1;
            text-wrap: nowrap;
        }
        & > Sparkline {
            height: 1;
            margin-left: 9;
        }
        &.-ok .kv-bar { color: $gauge-ok; }
        &.-warn .kv-bar { color: $gauge-warn; }
        &.-high .kv-bar { color: $gauge-high; }
        &.-high .kv-value { color: $gauge-high; }
        &.-not-reported .kv-value { color: $text-muted; }
        &.-not-reported > Sparkline { display: none; }
    }
    """

    # repaint=False: the gauge draws nothing of its own; its parts repaint what changed
    usage: reactive[float | None] = reactive(None, repaint=False)
    """The share of KV cache blocks in use, 0..1; None before any value."""
    history: reactive[tuple[float, ...]] = reactive((), repaint=False)
    """Recent usage, oldest first, for the sparkline."""
    capacity: reactive[KvCapacity | None] = reactive(None, repaint=False)
    """The cache's size, when the server exports `cache_config_info`."""
    reported: reactive[bool] = reactive(True, repaint=False)
    """False when the server does not export KV cache usage."""

    def __init__(
        self,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 (Textual's parameter name)
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._bar = Static(classes="kv-bar")
        self._value = Static(Text(fmt.NO_DATA), classes="kv-value")
        self._sparkline = QuietSparkline((), summary_function=max)

    def compose(self) -> ComposeResult:
        """Yields the title, bar and value on one line, and the sparkline below.

        Returns:
            The gauge's children.
        """
        with Horizontal():
            yield Static(Text(TITLE), classes="kv-title")
            yield self._bar
            yield self._value
        yield self._sparkline

    @property
    def shown_text(self) -> str:
        """Returns the value as the gauge shows it, such as `75.0% of 32,000 tok`."""
        return usage_text(self.usage, self.capacity) if self.reported else fmt.NOT_REPORTED

    def watch_usage(self) -> None:
        self._show()

    def watch_capacity(self) -> None:
        self._show()

    def watch_reported(self) -> None:
        self._show()

    def watch_history(self, history: tuple[float, ...]) -> None:
        self._sparkline.data = history

    def on_resize(self, event: events.Resize) -> None:
        self._show()

    def _show(self) -> None:
        level = gauge_level(self.usage) if self.reported else None
        for name in LEVELS:
            self.set_class(name == level, name)
        self.set_class(not self.reported, "-not-reported")
        value = self.shown_text
        # The bar takes what the title and the value leave (the value has one cell of padding);
        # in a narrow column the capacity goes first, so the percentage and a bar remain.
        width = self.content_size.width - TITLE_WIDTH - cell_len(value) - 1
        if self.reported and width < MIN_BAR and self.content_size.width:
            value = fmt.percent(self.usage)
            width = self.content_size.width - TITLE_WIDTH - cell_len(value) - 1
        update_if_changed(self._value, Text(value))
        self._value.styles.width = cell_len(value) + 1  # its text changes width
        fraction = self.usage if self.reported and self.usage is not None else 0.0
        shown = bar_text(fraction, width) if self.reported else Text()
        update_if_changed(self._bar, shown, sized_by_content=False)  # the bar is 1fr wide
