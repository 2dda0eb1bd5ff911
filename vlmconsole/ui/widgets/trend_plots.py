"""The trend chart's two plots, drawn with textual-plot (which loads numpy, ~170 ms).

Imported by the chart after the console's first frame, off the event loop
(see trend_chart.py), so that start-up does not wait for numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual_plot import HiResMode, PlotWidget
from textual_plot.axis_formatter import AxisFormatter

from vlmconsole.model.axis import axis_for, nice_axis, tick_labels
from vlmconsole.model.chart_points import Points

Y_MARGIN = 7
"""Columns left of each plot for the y ticks (such as `0.25` or `120`)."""

Line = tuple[Points, str, str, str]
"""(points, colour, label, marker) of one line; an empty marker draws none."""


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


class TrendPlots(Container):
    """ "TTFT vs context" and "decode vs context", side by side (or stacked)."""

    def __init__(self) -> None:
        super().__init__(classes="trend-plots")
        self.ttft_plot = PlotWidget(id="ttft-plot")
        self.decode_plot = PlotWidget(id="decode-plot")
        self.ttft_plot.border_title = "TTFT vs context"
        self.decode_plot.border_title = "decode vs context"
        self.x_axes = {plot: ReadableAxis(8) for plot in (self.ttft_plot, self.decode_plot)}
        self.y_axes = {plot: ReadableAxis(5) for plot in (self.ttft_plot, self.decode_plot)}

    def compose(self) -> ComposeResult:
        """Yields the two plots."""
        yield self.ttft_plot
        yield self.decode_plot

    def on_mount(self) -> None:
        # The plots clear themselves when they mount: the first plot waits for this.
        for plot in (self.ttft_plot, self.decode_plot):
            plot.margin_top = 1  # the y label's row; the plot keeps the rest
            plot.margin_left = Y_MARGIN
            plot.set_x_formatter(self.x_axes[plot])
            plot.set_y_formatter(self.y_axes[plot])
            plot.set_xlabel("context (tokens)")
        self.ttft_plot.set_ylabel("TTFT (s)")
        self.decode_plot.set_ylabel("tok/s")

    def set_max_ticks(self, x_ticks: int, y_ticks: int) -> None:
        """Sets how many ticks each axis may have (from the chart's size)."""
        for axis in self.x_axes.values():
            axis.max_ticks = x_ticks
        for axis in self.y_axes.values():
            axis.max_ticks = y_ticks

    def draw(self, ttft: list[Line], decode: list[Line], colour: Callable[[str], str]) -> None:
        """Replots both plots; `colour` turns a chart colour variable into `#RRGGBB`."""
        self._draw(self.ttft_plot, ttft, colour)
        self._draw(self.decode_plot, decode, colour)

    def _draw(self, plot: PlotWidget, lines: list[Line], colour_of: Callable[[str], str]) -> None:
        """Replots `plot`: (points, colour variable, label, marker) a line; empty lines skipped."""
        plot.clear()
        every = [point for points, *_ in lines for point in points]
        if every:
            x_axis = axis_for((x for x, _ in every), self.x_axes[plot].max_ticks)
            y_axis = axis_for((y for _, y in every), self.y_axes[plot].max_ticks)
            plot.set_xlimits(x_axis.low, x_axis.high)
            plot.set_ylimits(y_axis.low, y_axis.high)
        key = Text()
        markers: list[tuple[Points, str, str]] = []
        for points, variable, label, marker in lines:
            if not points:
                continue
            colour = colour_of(variable)
            plot.plot(*_split(points), colour, HiResMode.BRAILLE, label=label)
            _add_key(key, label, colour)
            if marker:
                markers.append((points, marker, colour))
        # Markers last, so that no line drawn after them covers a turn's point.
        for points, marker, colour in markers:
            plot.scatter(*_split(points), marker=marker, marker_style=colour)
        # A legend inside a 14-row plot would hide the points; the border has room.
        plot.border_subtitle = key
