"""The trend chart plots TTFT and decode rate against context, with TTFT's fit line."""

from __future__ import annotations

from textual.color import Color
from textual_plot import PlotWidget
from textual_plot.plot_widget import LinePlot

import vlmconsole.ui.widgets.trend_plots  # noqa: F401 (loaded: the chart builds its plots at once)
from tests.app.widget_hosts import (
    BARE_THEME,
    COLOURS,
    OTHER_THEME,
    WidgetHost,
    screen_text,
)
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.turn_timing import ServerTiming
from vlmconsole.ui.widgets.trend_chart import (
    CLIENT_LABEL,
    PLACEHOLDER,
    SERVER_LABEL,
    TrendChart,
)


def turn(
    n: int,
    prompt: int,
    ttft: float,
    server_ttft: float | None = None,
    decode: float | None = 40.0,
    server_decode: float | None = None,
    status: str = "ok",
) -> TurnRecord:
    """Returns a turn at `prompt` tokens of context."""
    server = None if server_ttft is None else ServerTiming(server_ttft, 0.01, None, None, "test")
    return TurnRecord(
        run_id="r",
        policy="none",
        turn=n,
        started_at="",
        status=status,
        model="[bold red]x[/]",
        transport="base64",
        ttft_s=ttft,
        prompt_tokens=prompt,
        decode_tok_s=decode,
        server_decode_tok_s=server_decode,
        server=server,
    )


THREE = (
    turn(1, 1000, 0.5, 0.4),
    turn(2, 2000, 0.7, 0.6),
    turn(3, 3000, 0.9, 0.8),
)


def lines(plot: PlotWidget) -> dict[str, LinePlot]:
    """Returns the plot's labelled lines, by label (the fit's label carries its r²)."""
    found: dict[str, LinePlot] = {}
    for label, dataset in zip(plot._labels, plot._datasets, strict=True):
        if label is not None and isinstance(dataset, LinePlot):
            found[label.split(" r²")[0]] = dataset
    return found


async def test_no_turn_shows_the_placeholder_and_no_data() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chart = app.widget
        assert chart.ttft_plot._datasets == [] and chart.decode_plot._datasets == []
        assert PLACEHOLDER in screen_text(app)
        assert not chart.query_one(".trend-plots").display


async def test_three_turns_draw_client_server_and_fit_lines() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = THREE
        await pilot.pause()
        ttft = lines(app.widget.ttft_plot)
        assert set(ttft) == {CLIENT_LABEL, SERVER_LABEL, "fit"}
        assert list(ttft[CLIENT_LABEL].x) == [1000, 2000, 3000]
        assert list(ttft[SERVER_LABEL].y) == [0.4, 0.6, 0.8]
        # the fit spans the data's x-range: y = 0.3 + 0.0002 x exactly
        assert list(ttft["fit"].x) == [1000, 3000]
        assert [round(y, 6) for y in ttft["fit"].y] == [0.5, 0.9]
        assert set(lines(app.widget.decode_plot)) == {"client tok/s"}
        assert PLACEHOLDER not in screen_text(app)


async def test_two_turns_are_too_few_for_a_fit() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = THREE[:2]
        await pilot.pause()
        assert set(lines(app.widget.ttft_plot)) == {CLIENT_LABEL, SERVER_LABEL}


async def test_a_failed_turn_is_skipped() -> None:
    failed = turn(4, 4000, 30.0, decode=None, status="failed")
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = (*THREE[:2], failed)
        await pilot.pause()
        ttft = lines(app.widget.ttft_plot)
        assert list(ttft[CLIENT_LABEL].x) == [1000, 2000]
        assert "fit" not in ttft, "the failed turn does not make a third point"


async def test_only_failed_turns_keep_the_placeholder() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = (turn(1, 1000, 0.5, status="failed"),)
        await pilot.pause()
        assert app.widget.ttft_plot._datasets == []
        assert PLACEHOLDER in screen_text(app)


async def test_decode_prefers_the_servers_rate() -> None:
    records = (turn(1, 1000, 0.5, server_decode=55.0), turn(2, 2000, 0.6, decode=30.0))
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = records
        await pilot.pause()
        assert list(lines(app.widget.decode_plot)["server/client tok/s"].y) == [55.0, 30.0]
        assert SERVER_LABEL not in lines(app.widget.ttft_plot), "no server timing, no line"


async def test_colours_follow_the_theme() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.widget.records = THREE
        await pilot.pause()
        ttft = lines(app.widget.ttft_plot)
        assert ttft[CLIENT_LABEL].line_style == COLOURS["chart-ttft"]
        assert ttft["fit"].line_style == COLOURS["chart-fit"]
        app.theme = OTHER_THEME.name
        await pilot.pause()
        await pilot.pause()
        assert lines(app.widget.ttft_plot)[CLIENT_LABEL].line_style == "#FF0000"
        assert lines(app.widget.decode_plot)["client tok/s"].line_style == "#00FF00"


async def test_a_theme_without_chart_colours_falls_back_to_its_own() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = BARE_THEME.name
        app.widget.records = THREE
        await pilot.pause()
        await pilot.pause()
        ttft = lines(app.widget.ttft_plot)

        def theme_colour(name: str) -> str:
            return Color.parse(app.theme_variables[name]).hex

        assert ttft[CLIENT_LABEL].line_style == theme_colour("primary")
        assert ttft[SERVER_LABEL].line_style == theme_colour("secondary")
        assert ttft["fit"].line_style == theme_colour("warning")
        assert lines(app.widget.decode_plot)["client tok/s"].line_style == theme_colour("success")
        assert theme_colour("primary") == BARE_THEME.primary


async def test_plots_stack_when_narrow_and_tall_enough() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(60, 30)) as pilot:
        app.widget.records = THREE
        await pilot.pause()
        ttft, decode = app.widget.ttft_plot.region, app.widget.decode_plot.region
        assert decode.y >= ttft.bottom and ttft.width == decode.width == 60
        for size in ((120, 30), (60, 14)):  # wide; or too short for two flat plots
            await pilot.resize_terminal(*size)
            await pilot.pause()
            ttft, decode = app.widget.ttft_plot.region, app.widget.decode_plot.region
            assert decode.x >= ttft.right and ttft.y == decode.y, size


async def test_the_key_names_each_line_in_the_border() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(120, 30)) as pilot:
        app.widget.records = THREE
        await pilot.pause()
        text = screen_text(app)
        assert "TTFT vs context" in text and "decode vs context" in text
        assert f"━ {CLIENT_LABEL} ━ {SERVER_LABEL} ━ fit r²=1.00" in text
        assert "context (tokens)" in text and "TTFT (s)" in text


def tick_rows(text: str) -> list[str]:
    """Returns the screen rows that carry the plots' x tick labels (just under the frames)."""
    rows = text.split("\n")
    return [rows[i + 1] for i, row in enumerate(rows[:-1]) if "└" in row and "┘" in row]


async def test_one_point_gets_a_few_distinct_readable_ticks() -> None:
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(120, 30)) as pilot:
        app.widget.records = (turn(1, 1037, 1.037, decode=492.85),)
        await pilot.pause()
        text = screen_text(app)
        assert "1.0369999" not in text and "1.037000" not in text
        labels = app.widget.ttft_plot._x_formatter.get_ticks_and_labels(
            app.widget.ttft_plot._x_min, app.widget.ttft_plot._x_max
        )[1]
        assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
        assert all(len(label) <= 6 for label in labels), labels


async def test_a_flat_series_does_not_repeat_its_value_on_the_y_axis() -> None:
    flat = tuple(turn(n, 1000 * n, 0.8, decode=492.85) for n in range(1, 5))
    app = WidgetHost(TrendChart)
    async with app.run_test(size=(120, 30)) as pilot:
        app.widget.records = flat
        await pilot.pause()
        text = screen_text(app)
        assert text.count("492.85") == 0, "a flat series labels nice ticks around its value"
        plot = app.widget.decode_plot
        ticks, labels = plot._y_formatter.get_ticks_and_labels(plot._y_min, plot._y_max)
        assert len(set(labels)) == len(labels) >= 2, labels
        assert ticks[0] < 492.85 < ticks[-1]
