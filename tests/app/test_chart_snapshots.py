"""SVG snapshots of the trend chart at the data shapes that broke its axes: one point, flat."""

from __future__ import annotations

from typing import Any

from tests.app.test_trend_chart import turn
from tests.app.widget_hosts import WidgetHost
from vlmconsole.ui.widgets.trend_chart import TrendChart


def chart_with(*records: Any) -> WidgetHost[TrendChart]:
    """Returns a host whose chart shows `records` from the start."""

    def make() -> TrendChart:
        chart = TrendChart()
        chart.records = records
        return chart

    return WidgetHost(make)


def test_chart_after_the_first_turn(snap_compare: Any) -> None:
    app = chart_with(turn(1, 1037, 1.037, server_ttft=0.98, decode=492.85))
    assert snap_compare(app, terminal_size=(100, 24))


def test_chart_of_a_flat_series(snap_compare: Any) -> None:
    flat = [turn(n, 900 * n, 0.75, decode=492.85) for n in range(1, 6)]
    assert snap_compare(chart_with(*flat), terminal_size=(100, 24))


def test_chart_of_tiny_and_huge_values(snap_compare: Any) -> None:
    records = [turn(n, 2_000_000 * n, 0.00012 + n * 1e-6, decode=1e6 * n) for n in range(1, 5)]
    assert snap_compare(chart_with(*records), terminal_size=(100, 24))
