"""The fleet screen driven with keys, on a scripted feed (no Prometheus, no network)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from tests.app.console_host import until
from vlmconsole.model.fleet_rows import FleetReading, FleetRow
from vlmconsole.sources.source_errors import SourceError
from vlmconsole.ui.fleet_app import FleetApp, FleetChoice, FleetScreenState


def row(instance: str, kv: float | None, running: float = 0, health: str = "up") -> FleetRow:
    return FleetRow(
        instance,
        "vllm",
        health,  # type: ignore[arg-type]
        "up" if health == "up" else "connection refused",
        models=("qwen-vl",),
        scrape_url=f"http://{instance}/metrics",
        kv_cache_usage=kv,
        running=running,
    )


class ScriptedFeed:
    """Answers each read with the next reading, or raises what it is given."""

    def __init__(self, *answers: FleetReading | SourceError) -> None:
        self.answers = list(answers)
        self.reads = 0
        self.closed = False

    async def read(self) -> FleetReading:
        self.reads += 1
        answer = self.answers[min(self.reads, len(self.answers)) - 1]
        if isinstance(answer, SourceError):
            raise answer
        return answer

    async def aclose(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reading(*rows: FleetRow, at_s: float = 100.0) -> FleetReading:
    return FleetReading(tuple(rows), at_s, 0.0, 2, 0.05)


FLEET = reading(row("b:1", 0.9, 1), row("a:1", 0.1, 4), row("c:1", None, health="down"))


def instances(app: FleetApp) -> list[str]:
    return [r.instance for r in app.fleet_screen.shown]


def screen_text(app: FleetApp) -> str:
    screen = app.fleet_screen
    return "\n".join(
        str(widget.render()) for widget in (screen.title_line, screen.totals, screen.problem)
    )


async def test_keys_sort_reverse_filter_and_enter_opens_a_console() -> None:
    feed = ScriptedFeed(FLEET)
    app = FleetApp(feed, "http://127.0.0.1:9090", "1m", 3600, clock=Clock())
    async with app.run_test(size=(200, 40)) as pilot:
        await until(pilot, lambda: app.fleet_screen.reading is not None)
        await pilot.pause()
        assert instances(app) == ["a:1", "b:1", "c:1"]
        assert "3 instances, 2 up (1 down)" in screen_text(app)
        assert app.query_one(DataTable).row_count == 3
        for _ in range(5):  # instance -> job -> model -> vLLM -> health -> KV
            await pilot.press("s")
        assert app.fleet_screen.state.sort == "kv_cache_usage"
        assert instances(app) == ["a:1", "b:1", "c:1"]  # no value: last
        await pilot.press("r")
        assert instances(app) == ["b:1", "a:1", "c:1"]
        await pilot.press("slash")
        await pilot.press(*"running>2", "enter")
        assert instances(app) == ["a:1"]
        assert "2 hidden by the filter" in screen_text(app)
        await pilot.press("enter")
    assert app.return_value == FleetChoice(
        "a:1",
        "http://a:1/metrics",
        FleetScreenState("kv_cache_usage", True, "running>2", "a:1"),
    )
    assert feed.closed


async def test_a_failed_refresh_keeps_the_rows_and_says_how_old_they_are() -> None:
    clock = Clock()
    feed = ScriptedFeed(FLEET, SourceError("cannot reach Prometheus at http://p: refused"))
    app = FleetApp(feed, "http://p", "1m", 3600, clock=clock)
    async with app.run_test(size=(200, 40)) as pilot:
        await until(pilot, lambda: app.fleet_screen.reading is not None)
        clock.now = 142.0
        await pilot.press("g")  # refresh now
        await until(pilot, lambda: app.fleet_screen.error is not None)
        await pilot.pause()
        text = screen_text(app)
        assert "cannot reach Prometheus at http://p: refused" in text
        assert "showing the fleet as it was 42 s ago" in text
        assert instances(app) == ["a:1", "b:1", "c:1"]


async def test_a_bad_filter_says_why_and_keeps_the_last_one(tmp_path: Path) -> None:
    said: list[str] = []
    app = FleetApp(ScriptedFeed(FLEET), "http://p", "1m", 3600, clock=Clock())
    async with app.run_test(size=(200, 40)) as pilot:
        app.notify = lambda message, **_: said.append(str(message))  # type: ignore[method-assign]
        await until(pilot, lambda: app.fleet_screen.reading is not None)
        await pilot.press("slash", *"speed>3", "enter")
        assert said and "no column 'speed'" in said[-1]
        assert instances(app) == ["a:1", "b:1", "c:1"]


async def test_an_empty_fleet_says_what_to_check() -> None:
    app = FleetApp(ScriptedFeed(reading()), "http://p", "1m", 3600, clock=Clock())
    async with app.run_test(size=(200, 40)) as pilot:
        await until(pilot, lambda: app.fleet_screen.reading is not None)
        await pilot.pause()
        assert "scrapes no vLLM server" in screen_text(app)


def test_the_fleet_screen_as_a_person_sees_it(snap_compare: Any) -> None:
    """Three instances (one down, one with findings), sorted by KV usage, largest first."""
    from vlmconsole.model.finding_types import Finding

    busy = row("10.0.0.7:8000", 0.96, 12)
    busy = dataclasses.replace(
        busy,
        waiting=5,
        preemptions_per_s=0.4,
        generation_tokens_per_s=812.0,
        prompt_tokens_per_s=9_410.0,
        prefix_cache_hit_rate=0.71,
        mm_cache_hit_rate=0.33,
        ttft_p50_s=0.42,
        ttft_p90_s=1.9,
        itl_p90_s=0.061,
        version="0.32.0",
        findings=(
            Finding("preemptions", "bad", "the server is preempting requests", "", ""),
            Finding("kv-high", "warn", "the KV cache is 96% full", "", ""),
        ),
    )
    quiet = dataclasses.replace(row("10.0.0.8:8000", 0.02, 0), version="0.33.0")
    fleet = reading(busy, quiet, row("10.0.0.9:8000", None, health="down"))
    state = FleetScreenState(sort="kv_cache_usage", descending=True)

    async def read(pilot: Any) -> None:
        await until(pilot, lambda: pilot.app.fleet_screen.reading is not None)
        await pilot.pause()

    app = FleetApp(ScriptedFeed(fleet), "http://127.0.0.1:9090", "1m", 3600, state, clock=Clock())
    assert snap_compare(app, terminal_size=(200, 16), run_before=read)


async def test_a_refresh_of_the_same_rows_redraws_only_the_cells_that_changed(
    monkeypatch: Any,
) -> None:
    later = reading(row("b:1", 0.5, 1), row("a:1", 0.1, 4), row("c:1", None, health="down"))
    feed = ScriptedFeed(FLEET, later, reading(row("d:1", 0.2)))
    app = FleetApp(feed, "http://127.0.0.1:9090", "1m", 3600, clock=Clock())
    async with app.run_test(size=(200, 40)) as pilot:
        screen = app.fleet_screen
        await until(pilot, lambda: screen.reading is not None)
        table: DataTable[Any] = screen.table
        updated: list[tuple[object, object]] = []
        real = table.update_cell

        def counted(row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
            updated.append((row_key, column_key))
            real(row_key, column_key, value, **kwargs)

        monkeypatch.setattr(table, "update_cell", counted)
        await pilot.press("g")  # the same rows: b's KV usage went from 90% to 50%
        await until(pilot, lambda: feed.reads == 2 and screen.reading is later)
        await pilot.pause()
        assert updated == [("b:1\x00vllm", "kv_cache_usage")], updated
        b_row = table.get_row("b:1\x00vllm")
        assert any("50" in str(cell) for cell in b_row), b_row
        await pilot.press("g")  # other rows: the table is filled anew
        await until(pilot, lambda: feed.reads == 3)
        await pilot.pause()
        assert instances(app) == ["d:1"] and table.row_count == 1
        assert len(updated) == 1, "no cell-by-cell update for other rows"
