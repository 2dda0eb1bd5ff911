"""One labelled server metric on one line: label, value, and a sparkline of recent values."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.renderables.sparkline import Sparkline
from textual.widget import Widget

from vlmconsole.ui.widgets.quiet_sparkline import drawn_bars
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

LABEL_CELLS = 14
SPARKLINE_CELLS = 10
VALUE_MIN_CELLS = 5


class RowLine:
    """The row's one line as segments: the label, the value (cut with an ellipsis), and
    Textual's sparkline renderable in the last cells."""

    def __init__(self, label: Text, value: Text, sparkline: Sparkline[float] | None) -> None:
        self.label = label
        self.value = value
        self.sparkline = sparkline

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        spark = SPARKLINE_CELLS if self.sparkline is not None else 0
        label_cells = min(LABEL_CELLS, width)
        value_cells = max(0, width - label_cells - spark)
        label = self.label.copy()
        label.truncate(label_cells, overflow="ellipsis", pad=True)
        value = self.value.copy()
        value.truncate(max(0, value_cells - 1), overflow="ellipsis")  # a space before the bars
        value.pad_right(value_cells - value.cell_len)
        for text in (label, value):  # Text.render leaves the base style to its caller
            yield from Segment.apply_style(text.render(console), console.get_style(text.style))
        if self.sparkline is not None and width >= label_cells + VALUE_MIN_CELLS + spark:
            yield from console.render(self.sparkline, options.update_width(spark))


class MetricRow(Widget):
    """A metric as `label  value  ▁▂▅▇`, one line high, drawn by one widget.

    The panel sets `value_text` (already formatted), `series` (recent values, oldest
    first), `reported` and `show_sparkline`; the row only renders them, and repaints only
    when what it draws changes (an idle server's rows rarely do). A metric the server
    does not export reads "not reported by this server" and draws no sparkline, so the
    phrase has the room the sparkline had. (It was a row of three widgets: 18 rows made
    55 of the console's 112 widgets, and composing and styling them was a good part of
    the time to the first frame.)
    """

    COMPONENT_CLASSES = {
        "metric-row--label",
        "metric-row--not-reported",
        "metric-row--spark-max",
        "metric-row--spark-min",
    }
    DEFAULT_CSS = """
    MetricRow {
        height: 1;
        width: 1fr;
        & > .metric-row--label { text-style: bold; }
        & > .metric-row--not-reported { color: $text-muted; }
        & > .metric-row--spark-max { color: $primary; }
        & > .metric-row--spark-min { color: $primary 30%; }
    }
    """

    value_text: reactive[str] = reactive(fmt.NO_DATA, repaint=False)
    """The formatted value, such as `200 tok/s` or `—`."""
    series: reactive[tuple[float, ...]] = reactive((), repaint=False)
    """Recent values for the sparkline, oldest first."""
    reported: reactive[bool] = reactive(True, repaint=False)
    """False when the server does not export this metric."""
    show_sparkline: reactive[bool] = reactive(True, repaint=False)
    """False in a panel too narrow for sparklines: values keep their room."""

    _drawn: tuple[object, ...] | None = None
    """What the row last drew: its value, whether reported, its bars."""

    def __init__(self, label: str, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.label = label

    def on_mount(self) -> None:
        for name in ("value_text", "series", "reported", "show_sparkline"):
            self.watch(self, name, self._refresh_if_changed, init=False)

    @property
    def shown_text(self) -> str:
        """Returns the value as the row shows it (the not-reported phrase included)."""
        return fmt.or_not_reported(self.value_text, self.reported)

    def _sparkline_shown(self) -> bool:
        return self.show_sparkline and self.reported

    def _what_is_drawn(self) -> tuple[object, ...]:
        bars = drawn_bars(self.series, SPARKLINE_CELLS) if self._sparkline_shown() else None
        return (self.shown_text, self.reported, bars)

    def _refresh_if_changed(self) -> None:
        if self.is_mounted and self._what_is_drawn() != self._drawn:
            self.refresh()

    def render(self) -> RowLine:
        """Returns the row's line."""
        self._drawn = self._what_is_drawn()
        label = plain(self.label, self.get_component_rich_style("metric-row--label"))
        value_style = (
            self.get_component_rich_style("metric-row--not-reported")
            if not self.reported
            else Style()
        )
        value = Text(self.shown_text, style=value_style)
        sparkline: Sparkline[float] | None = None
        if self._sparkline_shown():  # coloured as Textual's Sparkline widget colours it
            _, base = self.background_colors
            low = base + self.get_component_styles("metric-row--spark-min").color
            high = base + self.get_component_styles("metric-row--spark-max").color
            sparkline = Sparkline(
                list(self.series),
                width=SPARKLINE_CELLS,
                min_color=low.rich_color,
                max_color=high.rich_color,
                summary_function=max,
            )
        return RowLine(label, value, sparkline)
