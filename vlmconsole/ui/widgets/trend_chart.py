"""TTFT and decode rate against context, one point a finished turn, with TTFT's fit line.

The plots (textual-plot, which loads numpy: ~170 ms) are imported in a thread when
the first turn has a point to draw, never on the way to the console's first frame.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.color import Color, ColorParseError
from textual.reactive import reactive
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Static

from vlmconsole.model.chart_points import ChartPoints, Points, chart_points
from vlmconsole.model.trend import fit

if TYPE_CHECKING:
    from textual_plot import PlotWidget

    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.ui.widgets.trend_plots import Line, TrendPlots

PLOTS_MODULE = "vlmconsole.ui.widgets.trend_plots"
Y_MARGIN = 7
"""Columns left of each plot for the y ticks (kept in step with trend_plots.Y_MARGIN)."""

PLACEHOLDER = "push a screenshot to see TTFT and decode rate against context"
STACK_BELOW_WIDTH = 80
"""Columns under which the two plots stack instead of standing side by side..."""
STACK_FROM_HEIGHT = 24
"""...when there are this many rows for them: stacked in fewer, each would be too flat to read."""
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


def _split(points: Points) -> tuple[list[float], list[float]]:
    """Returns the points' x values and y values."""
    return [x for x, _ in points], [y for _, y in points]


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
        self.plots: TrendPlots | None = None
        """The two plots, once textual-plot is loaded."""
        self._ticks = (8, 5)
        self._loading = False
        self._placeholder = Static(PLACEHOLDER, classes="trend-placeholder", markup=False)
        self.add_class("-empty")

    def compose(self) -> ComposeResult:
        """Yields the placeholder, and the plots when their module is loaded already.

        Returns:
            The chart's children.
        """
        yield self._placeholder
        if PLOTS_MODULE in sys.modules:
            self.plots = sys.modules[PLOTS_MODULE].TrendPlots()
            yield self.plots

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.call_after_refresh(self._replot)

    @work(group="charts", exit_on_error=False)
    async def _load_plots(self) -> None:
        """Imports textual-plot (and numpy) in a thread, then mounts the plots."""
        module = await asyncio.to_thread(importlib.import_module, PLOTS_MODULE)
        if self.plots is None and self.is_attached:
            self.plots = module.TrendPlots()
            await self.mount(self.plots)
            self.plots.set_max_ticks(*self._ticks)
            self._replot()

    @property
    def ttft_plot(self) -> PlotWidget:
        """The TTFT plot (once loaded)."""
        assert self.plots is not None, "the plots are not loaded yet"
        return self.plots.ttft_plot

    @property
    def decode_plot(self) -> PlotWidget:
        """The decode plot (once loaded)."""
        assert self.plots is not None, "the plots are not loaded yet"
        return self.plots.decode_plot

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        stacked = width < STACK_BELOW_WIDTH and height >= STACK_FROM_HEIGHT
        self.set_class(stacked, "-narrow")
        plot_width = width if stacked else width // 2
        plot_height = height // 2 if stacked else height
        self._ticks = (
            max(2, (plot_width - Y_MARGIN - 2) // TICK_CELLS),
            max(2, min(6, (plot_height - PLOT_FRAME_ROWS) // ROWS_PER_Y_TICK + 1)),
        )
        if self.plots is not None:
            self.plots.set_max_ticks(*self._ticks)

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
        if self.plots is None:
            if not points.empty and not self._loading:
                self._loading = True  # the plots are needed now: load them once
                self._load_plots()
            return
        self.plots.draw(self._ttft_lines(points), self._decode_lines(points), self.colour)

    def _ttft_lines(self, points: ChartPoints) -> list[Line]:
        client = points.client_ttft
        lines: list[Line] = [
            (client, "chart-ttft", CLIENT_LABEL, "•"),
            (points.server_ttft, "chart-server-ttft", SERVER_LABEL, "◦"),
        ]
        line = fit(*_split(client), "context", "TTFT s")
        if line is not None:
            ends = (client[0][0], client[-1][0])
            label = f"{FIT_LABEL} r²={line.r2:.2f}"
            lines.append(([(x, line.at(x)) for x in ends], "chart-fit", label, ""))
        return lines

    def _decode_lines(self, points: ChartPoints) -> list[Line]:
        label = f"{points.decode_source} tok/s"
        return [(points.decode, "chart-decode", label, "•")]
