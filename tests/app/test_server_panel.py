"""The server panel and KV gauge show the fixture pages' hand-known numbers."""

from __future__ import annotations

import dataclasses

import pytest
from textual.color import Color
from textual.containers import VerticalScroll

from tests.app.widget_hosts import COLOURS, WidgetHost, screen_text, v0_stats
from tests.support.fixtures import history
from vlmconsole.model.rates import Scope
from vlmconsole.model.server_stats import KvCapacity, derive_stats
from vlmconsole.model.stats_timeline import StatsTimeline
from vlmconsole.ui.widgets.kv_gauge import KvGauge
from vlmconsole.ui.widgets.server_panel import ServerPanel
from vlmconsole.views.formatting import NO_DATA, NOT_REPORTED

PANEL_WIDTH = 46


def shown(panel: ServerPanel) -> dict[str, str]:
    """Returns each row's value as the panel shows it, by row key."""
    return {key: line.shown_text for key, line in panel.metrics.lines.items()}


async def test_panel_shows_the_v0_fixture_numbers() -> None:
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.stats = v0_stats()
        await pilot.pause()
        values = shown(app.widget)
        assert values["running"] == "3" and values["waiting"] == "0"
        assert values["swapped"] == "1" and app.widget.metrics.lines["swapped"].shown
        assert values["preemptions"] == "1 · 0.10/s"
        assert values["prompt"] == "200 tok/s"
        assert values["generation"] == "50.00 tok/s"
        assert values["prefix-hit"] == NO_DATA, "V0 reports a lifetime gauge only"
        assert values["prefix-hit-lifetime"] == "60.0%"
        # ten TTFTs of 0.2 s in the (0.1, 0.25] bucket: p50 0.175 s, p90 0.235 s
        assert values["ttft-p50"] == "175 ms" and values["ttft-p90"] == "235 ms"
        assert values["e2e-p50"] == NO_DATA, "no request ended in the window"
        assert app.widget.gauge.shown_text == "75.0% of 32,000 tok"
        text = screen_text(app)
        assert "75.0% of 32,000 tok" in text
        assert "200 tok/s" in text
        assert "finished      length 1 · stop 13" in text


async def test_v0_lacks_the_mm_cache_batch_and_queue_metrics() -> None:
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.stats = v0_stats()
        await pilot.pause()
        values = shown(app.widget)
        for key in ("mm-hit", "mm-hit-lifetime", "batch", "queue-p50"):
            assert values[key] == NOT_REPORTED, key
        assert values["ttft-p50"] != NOT_REPORTED
        # the phrase fits whole in a 46-column panel: the sparkline makes room for it
        mm_line = next(line for line in screen_text(app).splitlines() if "mm cache" in line)
        assert mm_line.rstrip().endswith(NOT_REPORTED)


async def test_before_the_first_scrape_every_value_is_a_dash() -> None:
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        await pilot.pause()
        assert set(shown(app.widget).values()) == {NO_DATA}
        assert not app.widget.metrics.lines["swapped"].shown
        assert "waiting for the first scrape" in screen_text(app)


async def test_v1_has_no_swapped_row_and_reports_the_batch() -> None:
    stats = derive_stats(history(("vllm-v1-0.9-t0", 0.0), ("vllm-v1-0.9-t1", 10.0)))
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.stats = stats
        await pilot.pause()
        assert not app.widget.metrics.lines["swapped"].shown
        assert "swapped" not in screen_text(app) and "batch" in screen_text(app)
        values = shown(app.widget)
        assert values["batch"] == "300 tok/step"
        assert values["prefix-hit"] == "50.0%"


async def test_a_model_name_with_markup_shows_literally() -> None:
    stats = dataclasses.replace(v0_stats(), scope=Scope(model_name="[bold red]x[/]"))
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.stats = stats
        await pilot.pause()
        assert "model [bold red]x[/]" in screen_text(app)


async def test_timeline_feeds_the_sparklines() -> None:
    first = derive_stats(history(("vllm-v0-t0", 0.0)))
    second = v0_stats()
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.timeline = StatsTimeline().add(first).add(second)
        await pilot.pause()
        assert app.widget.metrics.lines["prompt"].series == (0.0, 200.0)
        assert app.widget.metrics.lines["running"].series == (2.0, 3.0)
        assert app.widget.gauge.history == pytest.approx((0.25, 0.75))


async def test_panel_scrolls_when_short() -> None:
    # In an 80x24 terminal the app's header, footer and other panes leave it fewer rows.
    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(80, 16)) as pilot:
        app.widget.stats = v0_stats()
        await pilot.pause()
        scroll = app.widget.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0
        shown = [line for line in app.widget.metrics.lines.values() if line.shown]
        assert app.widget.metrics.size.height == len(shown), "a line per shown metric"
        scroll.scroll_end(animate=False)
        await pilot.pause()
        assert "finished" in screen_text(app)


@pytest.mark.parametrize(
    ("usage", "level"),
    [(0.0, "-ok"), (0.69, "-ok"), (0.70, "-warn"), (0.90, "-warn"), (0.91, "-high")],
)
async def test_gauge_colour_follows_the_thresholds(usage: float, level: str) -> None:
    app = WidgetHost(KvGauge)
    async with app.run_test(size=(PANEL_WIDTH, 4)) as pilot:
        app.widget.usage = usage
        await pilot.pause()
        classes = {name for name in ("-ok", "-warn", "-high") if app.widget.has_class(name)}
        assert classes == {level}
        bar = app.widget.query_one(".kv-bar")
        assert bar.styles.color == Color.parse(COLOURS[f"gauge{level}"])


async def test_gauge_bar_fills_its_share_of_the_line() -> None:
    app = WidgetHost(KvGauge)
    async with app.run_test(size=(PANEL_WIDTH, 4)) as pilot:
        app.widget.capacity = KvCapacity(16, 131072, 2_097_152, None, True)
        app.widget.usage = 0.125
        await pilot.pause()
        line = screen_text(app).splitlines()[0]
        assert line.startswith("KV cache ") and line.endswith(" 12.5% of 2,097,152 tok")
        bar = line[len("KV cache ") : -len(" 12.5% of 2,097,152 tok")]
        # 12.5% of 14 cells is 1.75 cells: one full block and six eighths of the next
        assert bar == "█▊" + "░" * (PANEL_WIDTH - 9 - 23 - 2)


async def test_gauge_not_reported_has_no_level() -> None:
    app = WidgetHost(KvGauge)
    async with app.run_test(size=(PANEL_WIDTH, 4)) as pilot:
        app.widget.usage = 0.95
        app.widget.reported = False
        await pilot.pause()
        assert not any(app.widget.has_class(name) for name in ("-ok", "-warn", "-high"))
        assert NOT_REPORTED in screen_text(app)


async def test_an_external_kv_row_shows_once_a_connector_is_queried() -> None:
    import dataclasses

    app = WidgetHost(ServerPanel)
    async with app.run_test(size=(PANEL_WIDTH, 40)) as pilot:
        app.widget.stats = v0_stats()
        await pilot.pause()
        row = app.widget.metrics.lines["ext-kv-hit"]
        assert not row.shown and "external KV" not in screen_text(app), "no KV connector: no row"
        app.widget.stats = dataclasses.replace(
            v0_stats(),
            external_prefix_cache_queries_total=1000.0,
            external_prefix_cache_hit_rate=0.25,
            external_prefix_cache_hit_rate_lifetime=0.5,
            lmcache_hit_rate_lifetime=0.4,
        )
        await pilot.pause()
        assert "external KV" in screen_text(app)
        assert row.shown and row.value_text == "25.0% hit · since start 50.0% · LMCache 40.0%"
