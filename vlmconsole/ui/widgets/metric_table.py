"""The server panel's metrics, one line each, drawn by one widget: `label  value  ▁▂▅▇`.

One widget with a line per metric, not a widget per metric: nineteen row widgets were
nineteen nodes to style (each with four component classes) and nineteen renders through
Rich before the first frame, a fifth of the console's time to it (bench_console.py
--only startup). Each line is drawn straight into a Strip, kept until what it shows
changes; a scrape that changes one value repaints that line only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from vlmconsole.ui.textual_private import blend_colors, sparkline_buckets
from vlmconsole.ui.widgets.quiet_sparkline import drawn_bars
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import strip_control

LABEL_CELLS = 14
SPARKLINE_CELLS = 10
VALUE_MIN_CELLS = 5
BARS = "▁▂▃▄▅▆▇█"
"""Textual's sparkline bars, lowest first (one line high)."""


class MetricLine:
    """What one line shows: its label, its value (already formatted), recent values for
    its sparkline, whether the server reports the metric, and whether the line is shown."""

    __slots__ = ("label", "value_text", "series", "reported", "shown")

    def __init__(self, label: str) -> None:
        self.label = strip_control(label)
        self.value_text = fmt.NO_DATA
        self.series: tuple[float, ...] = ()
        self.reported = True
        self.shown = True

    @property
    def shown_text(self) -> str:
        """Returns the value as the line shows it (the not-reported phrase included)."""
        return fmt.or_not_reported(self.value_text, self.reported)


class MetricTable(Widget):
    """Metric lines, in the order given; the panel sets each line's value and series.

    A metric the server does not export reads "not reported by this server" and draws no
    sparkline, so the phrase has the room the sparkline had. `show_sparklines` is False
    in a panel too narrow for them: values keep their room.
    """

    COMPONENT_CLASSES = {
        "metric-table--label",
        "metric-table--not-reported",
        "metric-table--spark-max",
        "metric-table--spark-min",
    }
    DEFAULT_CSS = """
    MetricTable {
        height: auto;
        width: 1fr;
        & > .metric-table--label { text-style: bold; }
        & > .metric-table--not-reported { color: $text-muted; }
        & > .metric-table--spark-max { color: $primary; }
        & > .metric-table--spark-min { color: $primary 30%; }
    }
    """

    show_sparklines: reactive[bool] = reactive(True, repaint=False)
    """False in a panel too narrow for sparklines."""

    def __init__(self, lines: Iterable[tuple[str, str]], id: str | None = None) -> None:  # noqa: A002
        """`lines` are (key, label) pairs, top to bottom."""
        super().__init__(id=id)
        self.lines: dict[str, MetricLine] = {key: MetricLine(label) for key, label in lines}
        self._drawn: dict[str, tuple[tuple[object, ...], Strip]] = {}
        """Each line's last strip, with what it showed and the width it was drawn for."""

    # --- what the panel sets -----------------------------------------------------------

    def set_line(
        self,
        key: str,
        *,
        value_text: str | None = None,
        reported: bool | None = None,
        series: Sequence[float] | None = None,
    ) -> None:
        """Sets what line `key` shows; repaints that line only, and only if it changed."""
        line = self.lines[key]
        if value_text is not None:
            line.value_text = value_text
        if reported is not None:
            line.reported = reported
        if series is not None:
            line.series = tuple(series)
        self._repaint_if_changed(key)

    def show_line(self, key: str, shown: bool) -> None:
        """Shows or hides line `key` (the lines below it move)."""
        line = self.lines[key]
        if line.shown != shown:
            line.shown = shown
            self.refresh(layout=True)

    def watch_show_sparklines(self) -> None:
        self._drawn.clear()
        self.refresh()

    # --- drawing -----------------------------------------------------------------------

    def _shown_keys(self) -> list[str]:
        return [key for key, line in self.lines.items() if line.shown]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Returns one line per shown metric."""
        return len(self._shown_keys())

    def notify_style_update(self) -> None:
        """Draws every line again in the new styles (a theme switch, a class change)."""
        super().notify_style_update()
        self._drawn.clear()

    def _what_is_drawn(self, line: MetricLine, width: int) -> tuple[object, ...]:
        spark = self._sparkline_cells(line, width)
        bars = drawn_bars(line.series, SPARKLINE_CELLS) if spark else None
        return (width, line.shown_text, line.reported, bars)

    def _sparkline_cells(self, line: MetricLine, width: int) -> int:
        wanted = self.show_sparklines and line.reported
        fits = width >= LABEL_CELLS + VALUE_MIN_CELLS + SPARKLINE_CELLS
        return SPARKLINE_CELLS if wanted and fits else 0

    def _repaint_if_changed(self, key: str) -> None:
        line = self.lines[key]
        if not (self.is_mounted and line.shown):
            return
        width = self.size.width
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] == self._what_is_drawn(line, width):
            return
        y = self._shown_keys().index(key)
        self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        """Returns line `y`: the label, the value (cut with an ellipsis), the sparkline."""
        keys = self._shown_keys()
        width = self.size.width
        if y >= len(keys):
            return Strip.blank(width, self.rich_style)
        key = keys[y]
        line = self.lines[key]
        what = self._what_is_drawn(line, width)
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] == what:
            return drawn[1]
        strip = self._draw(line, width)
        self._drawn[key] = (what, strip)
        return strip

    def _draw(self, line: MetricLine, width: int) -> Strip:
        base = self.rich_style
        spark = self._sparkline_cells(line, width)
        label_cells = min(LABEL_CELLS, width)
        value_cells = max(0, width - label_cells - spark)
        label_style = self.get_component_rich_style("metric-table--label")
        value_style = base
        if not line.reported:
            value_style = self.get_component_rich_style("metric-table--not-reported")
        room = value_cells - 1 if spark else value_cells  # a space before the bars
        segments = [
            Segment(_cut(line.label, label_cells), label_style),
            Segment(_cut(strip_control(line.shown_text), room).ljust(value_cells), value_style),
        ]
        if spark:
            segments.extend(self._bars(line.series, base))
        return Strip(segments, width).crop_extend(0, width, base)

    def _bars(self, series: Sequence[float], base: Style) -> list[Segment]:
        """Returns the sparkline's cells, coloured as Textual's Sparkline widget colours them."""
        _, background = self.background_colors
        low = (background + self.get_component_styles("metric-table--spark-min").color).rich_color
        high = (background + self.get_component_styles("metric-table--spark-max").color).rich_color
        if not series:
            return [Segment(BARS[0] * SPARKLINE_CELLS, base + Style(color=low))]
        if len(series) == 1:
            return [Segment(BARS[-1] * SPARKLINE_CELLS, base + Style(color=high))]
        minimum, maximum = min(series), max(series)
        extent = maximum - minimum or 1.0
        cells = []
        buckets = sparkline_buckets(series, SPARKLINE_CELLS)
        step = len(buckets) / SPARKLINE_CELLS
        for cell in range(SPARKLINE_CELLS):
            ratio = (max(buckets[int(cell * step)]) - minimum) / extent
            bar = BARS[int(ratio * (len(BARS) - 1)) % len(BARS)]
            cells.append(Segment(bar, base + Style(color=blend_colors(low, high, ratio))))
        return cells


def _cut(text: str, cells: int) -> str:
    """Returns `text` in at most `cells` cells, ending in an ellipsis when it was cut."""
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(text, cells - 1) + "…"
