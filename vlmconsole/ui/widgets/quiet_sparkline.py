"""A sparkline that repaints only when the bars it draws change.

The server panel's eighteen sparklines get new data every scrape; on an idle
server that data draws the same bars again (a longer run of zeros), and
repainting them was most of an idle console's CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.reactive import reactive
from textual.widgets import Sparkline

from vlmconsole.ui.textual_private import sparkline_buckets

LEVELS = 16
"""Bar heights told apart (Textual draws eight per cell; colours blend between)."""


def drawn_bars(
    data: Sequence[float], width: int, summary: Callable[[Sequence[float]], float] = max
) -> tuple[int, ...]:
    """Returns what a sparkline of `data` in `width` cells draws: one level per bar.

    Data of one value or none draws a flat line; otherwise each cell shows its
    bucket's summary, scaled between the data's minimum and maximum, as Textual
    draws it (fewer values than cells stretch their buckets across the width).
    """
    if len(data) < 2 or width <= 0:
        return (-len(data), width)
    low, high = min(data), max(data)
    extent = high - low or 1.0
    buckets = tuple(sparkline_buckets(data, width))
    levels = [round((summary(bucket) - low) / extent * LEVELS) for bucket in buckets]
    step = len(levels) / width
    return tuple(levels[int(cell * step)] for cell in range(width))


class QuietSparkline(Sparkline):
    """Textual's Sparkline; setting `data` repaints only when the drawn bars change."""

    data = reactive[Sequence[float] | None](None, repaint=False)

    _drawn: tuple[int, ...] | None = None

    def watch_data(self, data: Sequence[float] | None) -> None:
        bars = drawn_bars(data or (), self.size.width, self.summary_function)
        if bars != self._drawn:
            self._drawn = bars
            self.refresh()
