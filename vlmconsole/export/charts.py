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
from vlmconsole.model.axis import Axis, axis_for, nice_axis, whole_axis
from vlmconsole.model.chart_points import chart_points
from vlmconsole.model.turn_record import TurnRecord

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
    dots_only: frozenset[str] = frozenset(),
    whole_x: bool = False,
) -> str:
    """Returns the SVG markup of an XY chart with one line a series, no XML declaration.

    The axes' ranges and ticks come from `vlmconsole.model.axis` (the console's
    charts use the same), so one point or a flat series gets a few distinct labels.
    """
    xs = [x for _, points in series for x, _ in points]
    ys = [y for _, points in series for _, y in points]
    x_axis = whole_axis(xs, X_TICKS) if whole_x else axis_for(xs, X_TICKS, max_chars=LABEL_CHARS)
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
        chart.add(strip_control(label), list(points), stroke=label not in dots_only)
    svg: str = chart.render(is_unicode=True)
    return svg


def render_stacked_bars(
    chart_id: str, title: str, x_labels: Sequence[str], parts: Sequence[tuple[str, list[float]]]
) -> str:
    """Returns the SVG markup of a stacked bar chart: one bar an x label, one layer a part."""
    tops = [sum(values) for values in zip(*(v for _, v in parts), strict=True)] if parts else []
    y_axis = axis_for(tops or [0.0], Y_TICKS, include_zero=True, max_chars=LABEL_CHARS)
    chart = pygal.StackedBar(
        title=title,
        x_title="turn",
        y_title="seconds",
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        height=360,
        range=(y_axis.low, y_axis.high),
        no_data_text="no turn with a breakdown",
    )
    if parts:  # pygal places labels only with data to place them by
        every = max(1, -(-len(x_labels) // X_TICKS))
        chart.config(x_labels=list(x_labels), y_labels=list(y_axis.ticks))
        chart.config(x_labels_major_every=every, show_minor_x_labels=every == 1)
    chart.uuid = chart_id
    chart.add_xml_filter(_offline)
    for name, values in parts:
        chart.add(name, values)
    svg: str = chart.render(is_unicode=True)
    return svg


def context_falls(records: Sequence[TurnRecord]) -> bool:
    """Returns True when a finished turn's context is smaller than an earlier one's (a
    window policy dropped images): a line through such points would zig-zag."""
    sizes = [r.prompt_tokens for r in records if r.ok and r.prompt_tokens is not None]
    return any(b < a for a, b in zip(sizes, sizes[1:], strict=False))


def _ttft_by_turn(run: Run) -> list[Point]:
    return [(float(r.turn), r.ttft_s) for r in run.records if r.ok and r.ttft_s is not None]


def where_ttft_went_charts(runs: Sequence[Run], labels: dict[str, str]) -> list[Chart]:
    """Returns one stacked bar chart a run: each turn's TTFT split into its parts
    (client and transport, server preprocessing, queue, prefill)."""
    charts = []
    for n, run in enumerate(runs):
        turns = [r for r in run.records if r.ok and r.breakdown is not None]
        names = list(turns[0].breakdown.parts()) if turns and turns[0].breakdown else []
        parts = [
            (name, [max(0.0, r.breakdown.parts()[name]) if r.breakdown else 0.0 for r in turns])
            for name in names
        ]
        label = labels[run.run_id]
        chart_id = f"where-{n + 1}"
        charts.append(
            Chart(
                chart_id,
                f"Where the TTFT went, turn by turn: {strip_control(label)}",
                render_stacked_bars(
                    chart_id,
                    f"Where the TTFT went: {strip_control(label)}",
                    [str(r.turn) for r in turns],
                    parts,
                ),
            )
        )
    return charts


def _cached_fractions(run: Run) -> list[Point]:
    """Returns (turn, cached fraction) of the run's finished turns that report one."""
    return [
        (float(record.turn), record.cached_fraction)
        for record in run.records
        if record.ok and record.cached_fraction is not None
    ]


def report_charts(runs: Sequence[Run], labels: dict[str, str]) -> list[Chart]:
    """Returns the report's charts: TTFT by turn, TTFT and decode rate against context,
    the cached share by turn.

    TTFT and decode rate are the console's trend points (`model.chart_points`), one
    line a run.
    """
    trends = [(labels[run.run_id], chart_points(run.records)) for run in runs]
    cache = [(labels[run.run_id], _cached_fractions(run)) for run in runs]
    falling = frozenset(labels[run.run_id] for run in runs if context_falls(run.records))
    context = "context tokens (prompt_tokens)"
    return [
        Chart(
            "ttft-turn",
            "Time to first token, turn by turn",
            render_xy(
                "ttft-turn",
                "TTFT by turn",
                "turn",
                "TTFT (s)",
                [(labels[run.run_id], _ttft_by_turn(run)) for run in runs],
                whole_x=True,
            ),
        ),
        Chart(
            "ttft",
            "Time to first token against context (dots only for a run whose window "
            "shrank the context)",
            render_xy(
                "ttft",
                "TTFT against context",
                context,
                "TTFT (s)",
                [(label, points.client_ttft) for label, points in trends],
                dots_only=falling,
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
                dots_only=falling,
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
                whole_x=True,
            ),
        ),
    ]
