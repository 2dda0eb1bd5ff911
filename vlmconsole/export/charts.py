"""The report's charts: pygal XY line charts, one line a run, as inline SVG.

Nothing in the SVG loads from the net: pygal's JavaScript is off (`js=[]`), its
config script, comments (which carry pygal's URLs) and the XML namespace
declaration are removed, and text colours follow the page (`currentColor`), so
the charts read in light and dark pages. Failed turns and missing values are
skipped; a chart with no point says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from vlmconsole.export.safe import strip_control
from vlmconsole.export.summary import Run
from vlmconsole.model.axis import Axis, axis_for, nice_axis
from vlmconsole.model.chart_points import chart_points

Point = tuple[float, float]
X_TICKS = 10
Y_TICKS = 8
LABEL_CHARS = 8
"""A report chart is 800 px wide: room for ten x ticks, eight y ticks of 8 characters."""

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="currentColor",
    foreground_strong="currentColor",
    foreground_subtle="rgba(128, 128, 128, 0.5)",
    font_family="ui-monospace, Menlo, Consolas, 'Liberation Mono', monospace",
)


@dataclass(frozen=True, slots=True)
class Chart:
    """One rendered chart: an id for the page, a caption, and the SVG markup."""

    chart_id: str
    caption: str
    svg: str


def _offline(root: ElementTree.Element) -> ElementTree.Element:
    """Returns the SVG tree without scripts, comments and the namespace declaration."""
    # Inline SVG in HTML needs no xmlns; dropping it leaves no URL in the page.
    root.attrib.pop("xmlns", None)
    for parent in list(root.iter()):
        for child in list(parent):
            # Comments and processing instructions have a function, not a name, as tag.
            if not isinstance(child.tag, str) or child.tag == "script":
                parent.remove(child)
    return root


def _labels(axis: Axis) -> list[dict[str, object]]:
    """Returns the axis's ticks as pygal labels: a position and its text."""
    return [{"value": t, "label": text} for t, text in zip(axis.ticks, axis.labels, strict=True)]


def render_xy(
    chart_id: str,
    title: str,
    x_title: str,
    y_title: str,
    series: Sequence[tuple[str, Sequence[Point]]],
    y_range: tuple[float, float] | None = None,
) -> str:
    """Returns the SVG markup of an XY chart with one line a series, no XML declaration.

    The axes' ranges and ticks come from `vlmconsole.model.axis` (the console's
    charts use the same), so one point or a flat series gets a few distinct labels.
    """
    xs = [x for _, points in series for x, _ in points]
    ys = [y for _, points in series for _, y in points]
    x_axis = axis_for(xs, X_TICKS, max_chars=LABEL_CHARS)
    y_axis = (
        nice_axis(*y_range, Y_TICKS, LABEL_CHARS)
        if y_range
        else axis_for(ys, Y_TICKS, include_zero=True, max_chars=LABEL_CHARS)
    )
    chart = pygal.XY(
        title=title,
        x_title=x_title,
        y_title=y_title,
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        truncate_legend=40,
        include_x_axis=True,
        dots_size=3,
        height=420,
        range=(y_axis.low, y_axis.high),
        no_data_text="no finished turn",
    )
    if xs:  # pygal's XY takes labels only with data to place them by
        chart.config(xrange=(x_axis.low, x_axis.high), x_labels=_labels(x_axis))
        chart.config(y_labels=_labels(y_axis))
    # A fixed id (pygal draws a random one) scopes the chart's CSS and keeps reports stable.
    chart.uuid = chart_id
    chart.add_xml_filter(_offline)
    for label, points in series:
        chart.add(strip_control(label), list(points))
    svg: str = chart.render(is_unicode=True)
    return svg


def _cached_fractions(run: Run) -> list[Point]:
    """Returns (turn, cached fraction) of the run's finished turns that report one."""
    return [
        (float(record.turn), record.cached_fraction)
        for record in run.records
        if record.ok and record.cached_fraction is not None
    ]


def report_charts(runs: Sequence[Run], labels: dict[str, str]) -> list[Chart]:
    """Returns the three report charts: TTFT and decode rate against context, cache by turn.

    TTFT and decode rate are the console's trend points (`model.chart_points`), one
    line a run.
    """
    trends = [(labels[run.run_id], chart_points(run.records)) for run in runs]
    cache = [(labels[run.run_id], _cached_fractions(run)) for run in runs]
    context = "context tokens (prompt_tokens)"
    return [
        Chart(
            "ttft",
            "Time to first token against context",
            render_xy(
                "ttft",
                "TTFT against context",
                context,
                "TTFT (s)",
                [(label, points.client_ttft) for label, points in trends],
            ),
        ),
        Chart(
            "decode",
            "Decode rate against context (the server's rate when it reported one)",
            render_xy(
                "decode",
                "Decode rate against context",
                context,
                "decode rate (tok/s)",
                [(label, points.decode) for label, points in trends],
            ),
        ),
        Chart(
            "cache",
            "Share of the prompt served from the prefix cache, by turn",
            render_xy(
                "cache",
                "Cached fraction by turn",
                "turn",
                "cached fraction (0..1)",
                cache,
                y_range=(0.0, 1.0),
            ),
        ),
    ]
