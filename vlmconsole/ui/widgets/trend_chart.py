"""TTFT and decode rate against context, one point a finished turn, with TTFT's fit line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.color import Color, ColorParseError
from textual.containers import Container
from textual.reactive import reactive
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Static
from textual_plot import HiResMode, PlotWidget
from textual_plot.axis_formatter import AxisFormatter

from vlmconsole.model.axis import axis_for, nice_axis, tick_labels
from vlmconsole.model.chart_points import ChartPoints, Points, chart_points
from vlmconsole.model.trend import fit
from vlmconsole.model.turn_record import TurnRecord

PLACEHOLDER = "push a screenshot to see TTFT and decode rate against context"
STACK_BELOW_WIDTH = 80
"""Columns under which the two plots stack instead of standing side by side..."""
STACK_FROM_HEIGHT = 24
"""...when there are this many rows for them: stacked in fewer, each would be too flat to read."""
Y_MARGIN = 7
"""Columns left of each plot for the y ticks (such as `0.25` or `120`)."""
TICK_CELLS = 7
"""Columns an x tick label needs, its gap included."""
ROWS_PER_Y_TICK = 2
"""Rows a y tick needs so that the labels do not crowd each other."""
PLOT_FRAME_ROWS = 8
"""Rows of a plot that are not its drawing area: borders, the y label, the x ticks and label."""
COLOUR_FALLBACKS = {
    "chart-ttft": "primary",
    "chart-server-ttft": "secondary",
    "chart-fit": "warning",
    "chart-decode": "success",
}
"""The Textual colour each chart variable falls back to when a theme lacks it."""
CLIENT_LABEL = "client"
SERVER_LABEL = "server"
FIT_LABEL = "fit"


class ReadableAxis(AxisFormatter):
    """Ticks from `vlmconsole.model.axis`: a few short, distinct labels at any data shape.

    The chart sets each plot's limits to the data's nice axis, so the plot never asks
    for ticks over a near-empty range (one point, a flat series); zooming still works,
    each new range getting its own nice ticks.
    """

    def __init__(self, max_ticks: int) -> None:
        super().__init__()
        self.max_ticks = max_ticks
        """Set from the plot's size as the chart resizes."""

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        """Returns nice ticks over the range, at most `self.max_ticks` of them."""
        return list(nice_axis(min_, max_, min(max_ticks, self.max_ticks)).ticks)

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        """Returns the ticks' labels (`0.25`, `12k`), told apart by their spacing."""
        if not ticks:
            return []
        step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(ticks[0]) or 1.0
        return list(tick_labels(tuple(ticks), step))

    def get_ticks_and_labels(
        self, min_: float, max_: float, max_ticks: int = 8
    ) -> tuple[list[float], list[str]]:
        """Returns the nice axis's ticks and labels over the range."""
        axis = nice_axis(min_, max_, min(max_ticks, self.max_ticks))
        return list(axis.ticks), list(axis.labels)


def _split(points: Points) -> tuple[list[float], list[float]]:
    """Returns the points' x values and y values."""
    return [x for x, _ in points], [y for _, y in points]


def _add_key(key: Text, label: str, colour: str) -> Text:
    """Returns `key` with one more `━ label` entry, in the line's colour."""
    if key:
        key.append(" ")
    key.append("━ ", style=colour)
    key.append(label)
    return key


class TrendChart(Widget):
    """Two plots: "TTFT vs context" (client, server, fit) and "decode vs context".

    The app sets `records` (every turn so far); each change replots both. Colours
    come from the theme variables `chart-ttft`, `chart-server-ttft`, `chart-fit` and
    `chart-decode` (falling back to the theme's own colours) and follow theme changes.
    The key to the lines sits in each plot's bottom border.
    """

    DEFAULT_CSS = """
    TrendChart {
        height: 1fr;
        width: 1fr;
        & > .trend-placeholder {
            width: 1fr; height: 1fr; content-align: center middle; color: $text-muted;
        }
        & > .trend-plots { layout: horizontal; height: 1fr; }
        & PlotWidget { width: 1fr; height: 1fr; border: round $panel; border-title-color: $text; }
        &.-narrow > .trend-plots { layout: vertical; }
        &.-empty > .trend-plots { display: none; }
        &.-has-points > .trend-placeholder { display: none; }
    }
    """

    records: reactive[tuple[TurnRecord, ...]] = reactive(())
    """All turns of the session so far, failed ones included (they are skipped)."""

    def __init__(
        self,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 (Textual's parameter name)
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.ttft_plot = PlotWidget(id="ttft-plot")
        self.decode_plot = PlotWidget(id="decode-plot")
        self.ttft_plot.border_title = "TTFT vs context"
        self.decode_plot.border_title = "decode vs context"
        self._x_axes = {plot: ReadableAxis(8) for plot in (self.ttft_plot, self.decode_plot)}
        self._y_axes = {plot: ReadableAxis(5) for plot in (self.ttft_plot, self.decode_plot)}
        self._placeholder = Static(PLACEHOLDER, classes="trend-placeholder", markup=False)
        self.add_class("-empty")

    def compose(self) -> ComposeResult:
        """Yields the placeholder and the two plots (only one of them shows at a time).

        Returns:
            The chart's children.
        """
        yield self._placeholder
        with Container(classes="trend-plots"):
            yield self.ttft_plot
            yield self.decode_plot

    def on_mount(self) -> None:
        # The plots clear themselves when they mount: the first plot waits for this.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        for plot in (self.ttft_plot, self.decode_plot):
            plot.margin_top = 1  # the y label's row; the plot keeps the rest
            plot.margin_left = Y_MARGIN
            plot.set_x_formatter(self._x_axes[plot])
            plot.set_y_formatter(self._y_axes[plot])
            plot.set_xlabel("context (tokens)")
        self.ttft_plot.set_ylabel("TTFT (s)")
        self.decode_plot.set_ylabel("tok/s")
        self._replot()

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        stacked = width < STACK_BELOW_WIDTH and height >= STACK_FROM_HEIGHT
        self.set_class(stacked, "-narrow")
        plot_width = width if stacked else width // 2
        plot_height = height // 2 if stacked else height
        for axis in self._x_axes.values():
            axis.max_ticks = max(2, (plot_width - Y_MARGIN - 2) // TICK_CELLS)
        for axis in self._y_axes.values():
            axis.max_ticks = max(2, min(6, (plot_height - PLOT_FRAME_ROWS) // ROWS_PER_Y_TICK + 1))

    def watch_records(self) -> None:
        if self.is_mounted:
            self._replot()

    def _theme_changed(self, theme: Theme) -> None:
        self._replot()

    def colour(self, variable: str) -> str:
        """Returns the theme's colour for a chart variable as `#RRGGBB`, or its fallback's."""
        theme = self.app.current_theme
        fallback = COLOUR_FALLBACKS.get(variable, "primary")
        candidates = (
            theme.variables.get(variable),
            self.app.theme_variables.get(variable),
            self.app.theme_variables.get(fallback),
            getattr(theme, fallback, None),
            theme.primary,
        )
        for value in candidates:
            if value:
                try:
                    return Color.parse(value).hex
                except ColorParseError:
                    continue
        return "white"

    def _replot(self) -> None:
        points = chart_points(self.records)
        self.set_class(points.empty, "-empty")
        self.set_class(not points.empty, "-has-points")
        self._plot_ttft(points)
        self._plot_decode(points)

    def _plot_ttft(self, points: ChartPoints) -> None:
        client = points.client_ttft
        lines = [
            (client, "chart-ttft", CLIENT_LABEL, "•"),
            (points.server_ttft, "chart-server-ttft", SERVER_LABEL, "◦"),
        ]
        line = fit(*_split(client), "context", "TTFT s")
        if line is not None:
            ends = (client[0][0], client[-1][0])
            label = f"{FIT_LABEL} r²={line.r2:.2f}"
            lines.append(([(x, line.at(x)) for x in ends], "chart-fit", label, ""))
        self._draw(self.ttft_plot, lines)

    def _plot_decode(self, points: ChartPoints) -> None:
        label = f"{points.decode_source} tok/s"
        self._draw(self.decode_plot, [(points.decode, "chart-decode", label, "•")])

    def _draw(self, plot: PlotWidget, lines: list[tuple[Points, str, str, str]]) -> None:
        """Replots `plot`: (points, colour variable, label, marker) a line; empty lines skipped."""
        plot.clear()
        every = [point for points, *_ in lines for point in points]
        if every:
            x_axis = axis_for((x for x, _ in every), self._x_axes[plot].max_ticks)
            y_axis = axis_for((y for _, y in every), self._y_axes[plot].max_ticks)
            plot.set_xlimits(x_axis.low, x_axis.high)
            plot.set_ylimits(y_axis.low, y_axis.high)
        key = Text()
        markers: list[tuple[Points, str, str]] = []
        for points, variable, label, marker in lines:
            if not points:
                continue
            colour = self.colour(variable)
            plot.plot(*_split(points), colour, HiResMode.BRAILLE, label=label)
            _add_key(key, label, colour)
            if marker:
                markers.append((points, marker, colour))
        # Markers last, so that no line drawn after them covers a turn's point.
        for points, marker, colour in markers:
            plot.scatter(*_split(points), marker=marker, marker_style=colour)
        # A legend inside a 14-row plot would hide the points; the border has room.
        plot.border_subtitle = key
