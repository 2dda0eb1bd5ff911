"""An idle server must cost next to nothing: widgets repaint only when what they show changes."""

from __future__ import annotations

import dataclasses

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from tests.app.widget_hosts import WidgetHost, screen_text
from vlmconsole.model.connection import Connection, Link
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.ui.widgets.metric_table import MetricTable
from vlmconsole.ui.widgets.quiet_sparkline import QuietSparkline, drawn_bars
from vlmconsole.ui.widgets.quiet_update import update_if_changed
from vlmconsole.ui.widgets.server_header import ServerHeader

INFO = ServerInfo("http://127.0.0.1:8000", "0.32.0", True, "ok", (ModelCard("m", "m", 32768),), 0)


class Refreshes:
    """Counts a widget's refresh calls (and how many asked for a layout pass)."""

    def __init__(self, widget: Widget, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paints = 0
        self.layouts = 0
        self.regions: list[object] = []
        real = widget.refresh

        def counted(*regions: object, layout: bool = False, **kwargs: object) -> Widget:
            self.paints += 1
            self.layouts += int(layout)
            self.regions.extend(regions)
            return real(*regions, layout=layout, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(widget, "refresh", counted)


def test_longer_runs_of_one_value_draw_the_same_bars() -> None:
    assert drawn_bars([0.0] * 5, 10) == drawn_bars([0.0] * 120, 10)
    assert drawn_bars([0.0, 1.0], 10) != drawn_bars([1.0, 0.0], 10)
    assert drawn_bars([0.0] * 119 + [3.0], 10) != drawn_bars([0.0] * 120, 10)
    assert drawn_bars([], 10) != drawn_bars([4.0], 10), "empty and one value draw differently"


async def test_sparkline_repaints_only_when_its_bars_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = WidgetHost(lambda: QuietSparkline((), summary_function=max))
    async with app.run_test(size=(10, 1)) as pilot:
        spark = app.widget
        spark.data = (0.0, 0.0)
        await pilot.pause()
        counted = Refreshes(spark, monkeypatch)
        for length in range(3, 30):
            spark.data = (0.0,) * length
        await pilot.pause()
        assert counted.paints == 0, "an idle series drew the same flat line"
        spark.data = (0.0,) * 29 + (5.0,)
        await pilot.pause()
        assert counted.paints == 1
        assert screen_text(app).rstrip().endswith("█"), "the new peak is drawn"


async def test_update_if_changed_lays_out_only_when_the_shape_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = WidgetHost(lambda: Static(""))
    async with app.run_test(size=(40, 3)) as pilot:
        static = app.widget
        update_if_changed(static, Text("12 tok/s"))
        await pilot.pause()
        counted = Refreshes(static, monkeypatch)
        update_if_changed(static, Text("12 tok/s"))
        assert counted.paints == 0, "the same words: nothing to do"
        update_if_changed(static, Text("34 tok/s"))
        assert (counted.paints, counted.layouts) == (1, 0), "same width: a repaint only"
        update_if_changed(static, Text("1,234 tok/s"))
        assert (counted.paints, counted.layouts) == (2, 1), "wider: the layout follows"
        update_if_changed(static, Text("5 tok/s"), sized_by_content=False)
        assert (counted.paints, counted.layouts) == (3, 1), "a fixed-size widget never relayouts"
        await pilot.pause()
        assert "5 tok/s" in screen_text(app)


async def test_header_repaints_on_the_second_tick_only_when_its_words_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = WidgetHost(ServerHeader)
    async with app.run_test(size=(120, 2)) as pilot:
        header = app.widget
        header.url = INFO.url
        header.info = INFO
        header.connection = Connection(Link.LIVE, last_ok_at_s=10.0)
        header.uptime_s = 7_380.0
        header.now_s = 10.0
        await pilot.pause()
        assert "● live  healthy  load 0  up 2 h 03 m" in screen_text(app)
        counted = Refreshes(header, monkeypatch)
        for second in range(11, 20):
            header.now_s = float(second)  # live: the header's words do not depend on the time
            header.info = dataclasses.replace(INFO)  # an equal observation, a new object
        await pilot.pause()
        assert counted.paints == 0

        header.connection = Connection(
            Link.LOST, last_ok_at_s=20.0, error="refused", retry_at_s=25.0
        )
        header.now_s = 21.0
        await pilot.pause()
        assert "retry in 4 s" in screen_text(app)
        before = counted.paints
        header.now_s = 22.0
        await pilot.pause()
        assert counted.paints > before and "retry in 3 s" in screen_text(app)


async def test_a_metric_line_repaints_only_when_what_it_draws_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = WidgetHost(lambda: MetricTable([("waiting", "waiting"), ("prompt", "prompt")]))
    async with app.run_test(size=(40, 2)) as pilot:
        table = app.widget
        table.set_line("prompt", value_text="12 tok/s", series=(0.0, 0.0))
        await pilot.pause()
        counted = Refreshes(table, monkeypatch)
        for length in range(3, 30):
            table.set_line("prompt", value_text="12 tok/s", series=(0.0,) * length)
        await pilot.pause()
        assert counted.paints == 0, "an idle series and the same value drew the same line"
        table.set_line("prompt", series=(0.0,) * 29 + (5.0,))
        await pilot.pause()
        assert counted.paints == 1 and screen_text(app).rstrip().endswith("█"), "the new peak"
        assert counted.regions == [Region(0, 1, 40, 1)], "the prompt's line only"
        table.set_line("prompt", value_text="13 tok/s")
        await pilot.pause()
        assert counted.paints == 2 and "13 tok/s" in screen_text(app)
        table.show_sparklines = False
        await pilot.pause()
        assert counted.paints == 3 and "█" not in screen_text(app), "narrow: no bars"
        table.show_line("waiting", False)
        await pilot.pause()
        assert counted.layouts >= 1 and screen_text(app).startswith("prompt"), "a line hidden"


async def test_a_metric_line_takes_the_new_theme_colours() -> None:
    app = WidgetHost(lambda: MetricTable([("prompt", "prompt")]))
    async with app.run_test(size=(40, 1)) as pilot:
        table = app.widget
        table.set_line("prompt", value_text="12 tok/s", series=(0.0, 5.0))
        await pilot.pause()

        def bar_colour() -> object:
            last = list(table.render_line(0))[-1]  # the newest bar
            return last.style.color if last.style is not None else None

        before = bar_colour()
        app.theme = "test-other"  # another primary: the bars' colour
        await pilot.pause()
        assert bar_colour() != before, "the line was drawn again in the new theme"
