"""The console driven as a person would: attach, watch, push, read receipts, export."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.console_host import ASSETS, ScriptedObserver, console_for, until
from tests.support.fixtures import snapshot
from vlmconsole.model.chart_points import chart_points
from vlmconsole.model.connection import Link
from vlmconsole.model.observation import Observation
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources.console_sources import ChatEngine
from vlmconsole.sources.early_scrape import ScrapeAhead
from vlmconsole.sources.live_sources import LiveSources
from vlmconsole.ui.app import VlmConsoleApp
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.widgets.server_header import ServerHeader
from vlmconsole.ui.widgets.server_panel import ServerPanel
from vlmconsole.ui.widgets.trend_chart import TrendChart
from vlmconsole.ui.widgets.turn_view import TurnView


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(speed=50)) as server:
        yield server


def receipt_of(app: VlmConsoleApp, index: int) -> str:
    """Returns the receipt line of the index-th turn on screen ("" before it exists)."""
    views = list(app.query(TurnView))
    return str(views[index].query_one("#receipt").render()) if len(views) > index else ""


def header_text(app: object) -> str:
    from vlmconsole.ui.app import VlmConsoleApp

    assert isinstance(app, VlmConsoleApp)
    return str(app.query_one(ServerHeader).render())


async def test_attach_shows_the_server_and_its_metrics(sim: SimServer, tmp_path: Path) -> None:
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: len(app.console_screen.timeline.points) >= 3)
        text = header_text(app)
        assert "vLLM 0.32.0" in text and "vlmconsole-demo-vlm" in text and "live" in text
        panel = app.query_one(ServerPanel)
        assert panel.stats is not None and panel.stats.kv_capacity is not None
        assert (
            app.console_screen.chat.settings is not None
            and app.console_screen.chat.settings.model == "vlmconsole-demo-vlm"
        )


async def test_push_two_screenshots_and_read_their_receipts(sim: SimServer, tmp_path: Path) -> None:
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("n")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 1)
        await pilot.press("n")
        await until(pilot, lambda: "turn 2" in receipt_of(app, 1))
        receipts = [receipt_of(app, 0), receipt_of(app, 1)]
        assert receipts[0].startswith("✓ turn 1 · image 863 tok")
        assert receipts[1].startswith("✓ turn 2 · image 863 tok") and "TTFT" in receipts[1]
        points = chart_points(app.query_one(TrendChart).records)
        assert len(points.client_ttft) == 2 and len(points.server_ttft) == 2
        assert (tmp_path / "journal.jsonl").read_text().count("\n") == 2
        await pilot.press("b")
        assert all(v.has_class("-breakdown") for v in app.query(TurnView))


async def test_push_by_path_with_words_then_export(sim: SimServer, tmp_path: Path) -> None:
    app = console_for(sim.base_url, tmp_path / "session", images=None)
    shot = ASSETS / "screen-03.png"
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("p")
        await pilot.press(*f"{shot} what is open?")
        await pilot.press("enter")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 1)
        assert app.console_screen.chat.records[0].ok and app.console_screen.chat.records[
            0
        ].new_images[0].label == str(shot)
        await pilot.press("escape", "e")
        await until(pilot, lambda: (tmp_path / "session" / "report.html").exists())
        assert (tmp_path / "session" / "turns.csv").read_text().count("\n") == 2


async def test_a_bad_screenshot_gets_a_failed_receipt(sim: SimServer, tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    app = console_for(sim.base_url, tmp_path, images=None)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("p", *str(bad), "enter")
        await until(pilot, lambda: "turn 1" in receipt_of(app, 0))
        receipt = receipt_of(app, 0)
        assert "✗ turn 1 failed" in receipt and "not an image" in receipt
        await pilot.press("escape", "n")  # no folder: says so, nothing breaks
        assert len(app.console_screen.chat.records) == 1


async def test_theme_switch_and_help(sim: SimServer, tmp_path: Path) -> None:
    app = console_for(sim.base_url, tmp_path, theme="vlm-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "vlm-dark"
        await pilot.press("t")
        assert app.theme != "vlm-dark" and app.theme.startswith("vlm-")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def observation() -> Observation:
    info = ServerInfo("http://127.0.0.1:9", "0.32.0", True, "ok", (ModelCard("m", "/m", 4096),), 0)
    return Observation(info, snapshot("vllm-0.32.0-after", 0.0))


async def test_lost_server_is_shown_with_the_data_age_and_picked_up_again(tmp_path: Path) -> None:
    observer = ScriptedObserver(observation())
    now = [100.0]
    app = console_for("http://127.0.0.1:9", tmp_path, observer=observer, clock=lambda: now[0])
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.connection.link is Link.LIVE)
        observer.down = True
        now[0] = 103.0
        await until(pilot, lambda: app.console_screen.connection.link is Link.LOST)
        text = header_text(app)
        assert "connection lost" in text and "connection refused" in text and "old" in text
        assert app.query_one(ServerPanel).stats is not None, "what it had stays on screen"
        observer.down = False
        now[0] = 200.0  # past the backoff
        await until(pilot, lambda: app.console_screen.connection.link is Link.LIVE)
        assert "live" in header_text(app)


async def test_a_full_context_says_press_c_and_a_new_conversation_goes_on(tmp_path: Path) -> None:
    # 863 tokens an image: the first turn fits 1,800 tokens, the second (two images) does not
    with run_in_thread(SimConfig(speed=50, max_model_len=1800)) as small:
        app = console_for(small.base_url, tmp_path)
        async with app.run_test(size=(160, 50)) as pilot:
            await until(pilot, lambda: app.console_screen.chat.engine is not None)
            await pilot.press("n")
            await until(
                pilot,
                lambda: (
                    len(app.console_screen.chat.records) == 1
                    and not app.console_screen.chat.turn_busy
                ),
            )
            assert app.console_screen.chat.records[0].ok, app.console_screen.chat.records[0].error
            await pilot.press("n")
            await until(
                pilot,
                lambda: (
                    len(app.console_screen.chat.records) == 2
                    and not app.console_screen.chat.turn_busy
                ),
            )
            full = app.console_screen.chat.records[1]
            assert not full.ok and full.context_full, full.error
            messages = [n.message for n in app._notifications]
            assert any("press c for a new conversation" in m for m in messages), messages

            await pilot.press("c")
            divider = app.query(".divider")
            assert len(divider) == 1 and "new conversation after turn 2" in str(
                divider.first().render()
            )
            await pilot.press("n")
            await until(
                pilot,
                lambda: (
                    len(app.console_screen.chat.records) == 3
                    and not app.console_screen.chat.turn_busy
                ),
            )
            fresh = app.console_screen.chat.records[2]
            assert fresh.ok and fresh.images_in_request == 1, fresh.error
            assert fresh.prompt_tokens is not None and fresh.prompt_tokens < 1_200


async def test_a_push_before_the_chat_client_is_built_goes_out_once_it_is(
    sim: SimServer, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path)
    sources = app.console_screen.sources
    build = sources.chat_engine

    def slow_build(run: RunSettings) -> ChatEngine:
        time.sleep(1.0)  # in the engine's thread, as importing the SDK takes time
        return build(run)

    sources.chat_engine = slow_build  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.settings is not None)
        assert app.console_screen.chat.engine is None, "the engine is still being built"
        await pilot.press("n")
        await until(
            pilot,
            lambda: (
                len(app.console_screen.chat.records) == 1 and not app.console_screen.chat.turn_busy
            ),
        )
        assert app.console_screen.chat.records[0].ok, app.console_screen.chat.records[0].error
        assert "✓ turn 1" in receipt_of(app, 0)


async def test_each_finished_turn_gives_free_heap_pages_back(
    sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vlmconsole.sources.heap import release_free_heap
    from vlmconsole.ui import app as app_module

    released: list[bool] = []
    monkeypatch.setattr(
        app_module, "release_free_heap", lambda: released.append(release_free_heap())
    )
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        chat = app.console_screen.chat
        await pilot.press("n")
        await until(pilot, lambda: len(released) == 1 and not chat.turn_busy)
        await pilot.press("n")  # once the first turn is over: n is refused while one is busy
        await until(pilot, lambda: len(released) == 2)
        assert len(app.console_screen.chat.records) == 2 and released == [True, True]


async def test_hostile_file_names_show_literally_in_the_chat(
    sim: SimServer, tmp_path: Path
) -> None:
    from tests.support.hostile import assert_no_escape
    from vlmconsole.ui.textual_private import screen_lines

    folder = tmp_path / "shots"
    folder.mkdir()
    name = "\x1b[31m[bold]evil\x1b]0;T\x07"
    (folder / f"{name}-1.png").write_bytes((ASSETS / "screen-01.png").read_bytes())
    (folder / f"{name}-2.png").write_text("not an image")
    app = console_for(sim.base_url, tmp_path / "session", images=folder)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("n")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 1)
        await pilot.press("n")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 2)
        await pilot.pause(0.3)
        shown = "\n".join(screen_lines(app.screen))
        assert_no_escape(shown)
        assert "[bold]evil-2.png: not an" in shown, "markup in a name is shown as written"
        assert all(
            r.new_images[0].label.endswith(".png") for r in app.console_screen.chat.records[:1]
        )
        assert not app.console_screen.chat.records[1].ok


@pytest.fixture()
async def stalling(sim: SimServer) -> Any:
    """A proxy in front of the demo server whose answers stall after their first bytes."""
    from tests.support.fault_proxy import FaultProxy

    proxy = FaultProxy(
        target_port=int(sim.base_url.rsplit(":", 1)[1]),
        stall_after_bytes=1200,
        only_requests_starting=b"POST /v1/chat",
    )
    await proxy.start()
    yield proxy
    await proxy.stop()


async def test_x_cancels_the_turn_in_flight(stalling: Any, tmp_path: Path) -> None:
    from vlmconsole.sources.journal import read_journal

    app = console_for(f"http://127.0.0.1:{stalling.port}", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("n")
        await until(
            pilot,
            lambda: (
                app.console_screen.chat.engine is not None
                and app.console_screen.chat.engine.in_flight
            ),
        )
        await pilot.pause(0.3)
        await pilot.press("x")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 1, timeout_s=5)
        assert app.console_screen.chat.records[0].status == "cancelled"
        assert "✗ turn 1 cancelled: cancelled by the user" in receipt_of(app, 0)
        assert read_journal(tmp_path / "journal.jsonl").records[-1].status == "cancelled"
        assert not app.console_screen.chat.turn_busy, "the next push may go"


async def test_quitting_with_a_turn_in_flight_journals_it_as_abandoned(
    stalling: Any, tmp_path: Path
) -> None:
    from vlmconsole.sources.journal import read_journal

    app = console_for(f"http://127.0.0.1:{stalling.port}", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("n")
        await until(
            pilot,
            lambda: (
                app.console_screen.chat.engine is not None
                and app.console_screen.chat.engine.in_flight
            ),
        )
        await pilot.press("q")
    records = read_journal(tmp_path / "journal.jsonl").records
    assert [r.status for r in records] == ["abandoned"], records


async def test_a_server_that_answers_badly_is_named_and_the_chat_still_works(
    sim: SimServer, tmp_path: Path
) -> None:
    """Garbage /metrics: the header says what is wrong (not "connection lost"), and
    screenshot turns still go out: the chat does not depend on the metrics."""
    from tests.support.fake_http import FakeHttp, Handler, text

    async def forward(request: Any) -> Any:
        import httpx
        from aiohttp import web

        headers = {"Authorization": request.headers.get("Authorization", "")}
        async with httpx.AsyncClient() as client:
            answer = await client.request(
                request.method,
                f"{sim.base_url}{request.path_qs}",
                content=await request.read(),
                headers=headers,
            )
        kind = answer.headers.get("content-type", "application/json")
        return web.Response(
            status=answer.status_code, body=answer.content, headers={"Content-Type": kind}
        )

    forwarded = ("/version", "/health", "/v1/models", "/load", "/v1/chat/completions")
    routes: dict[str, Handler] = {path: forward for path in forwarded}
    routes["/metrics"] = text("<html>this is not Prometheus</html>", content_type="text/html")
    fake = FakeHttp(routes)
    await fake.start()
    try:
        app = console_for(fake.base_url, tmp_path)
        async with app.run_test(size=(160, 50)) as pilot:
            await until(pilot, lambda: app.console_screen.connection.link is Link.BROKEN)
            await until(pilot, lambda: "server answers, but: " in header_text(app))
            assert "connection lost" not in header_text(app)
            assert "not Prometheus" in header_text(app)
            await until(pilot, lambda: app.console_screen.chat.engine is not None)
            await pilot.press("n")
            await until(pilot, lambda: len(app.console_screen.chat.records) == 1)
            assert app.console_screen.chat.records[0].ok, app.console_screen.chat.records[0].error
    finally:
        await fake.stop()


async def test_the_receipt_stops_waiting_once_the_first_words_are_in() -> None:
    from tests.app.widget_hosts import WidgetHost
    from vlmconsole.ui.widgets.turn_view import ANSWERING, WAITING

    app = WidgetHost(lambda: TurnView(1, "what changed?", None, None, None, "none"))
    async with app.run_test(size=(100, 20)) as pilot:
        receipt = app.widget.query_one("#receipt")
        assert str(receipt.render()) == WAITING
        await app.widget.append_reply("Hello")
        await pilot.pause()
        assert str(receipt.render()) == ANSWERING, "not 'waiting' under words already shown"


async def test_the_log_hides_polls_until_asked() -> None:
    from tests.app.widget_hosts import WidgetHost
    from vlmconsole.ui.widgets.logs_pane import LogsPane

    app = WidgetHost(LogsPane)
    poll = 'INFO:     127.0.0.1:59324 - "GET /metrics HTTP/1.1" 200 OK'
    chat = 'INFO:     127.0.0.1:59330 - "POST /v1/chat/completions HTTP/1.1" 200 OK'
    async with app.run_test(size=(120, 20)) as pilot:
        pane = app.widget
        pane.add_class("-shown")
        pane.add_lines([poll, chat, poll, "WARNING preempted a request"])
        await pilot.pause()
        assert pane.shown_lines() == [chat, "WARNING preempted a request"]
        note = str(pane.query_one("#logs-note").render())
        assert "2 polling lines hidden (h shows them)" in note
        pane.toggle_polling()
        await pilot.pause()
        assert pane.shown_lines() == [poll, chat, poll, "WARNING preempted a request"]


async def test_a_long_reply_is_drawn_up_to_its_first_characters() -> None:
    from tests.app.widget_hosts import WidgetHost
    from tests.export.builders import ok_turn
    from vlmconsole.ui.widgets.turn_view import REPLY_SHOWN_CHARS

    reply = "word " * 1000  # 5,000 characters
    app = WidgetHost(lambda: TurnView(1, "describe", None, None, None, "none"))
    async with app.run_test(size=(100, 30)) as pilot:
        for start in range(0, len(reply), 50):
            await app.widget.append_reply(reply[start : start + 50])
        await app.widget.finish(ok_turn("r", "none", 1, reply=reply))
        await pilot.pause()
        assert app.widget._shown_chars == REPLY_SHOWN_CHARS
        more = str(app.widget.query_one("#reply-more").render())
        assert more.startswith(f"… {len(reply) - REPLY_SHOWN_CHARS:,} more characters")


async def test_a_key_pressed_too_early_says_why_and_is_dimmed(
    sim: SimServer, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path, images=None)
    said: list[str] = []
    async with app.run_test(size=(160, 50)) as pilot:
        app.notify = lambda message, **_: said.append(str(message))  # type: ignore[method-assign]
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        assert app.console_screen.check_action("cancel_turn", ()) is None, (
            "dimmed: no turn in flight"
        )
        assert app.console_screen.check_action("next_image", ()) is None, (
            "dimmed: no --images folder"
        )
        assert app.console_screen.check_action("export", ()) is True
        await pilot.press("x", "n", "r")
        await pilot.pause()
        assert said == [
            "no turn in flight",
            "no screenshot folder: start the console with --images DIR",
            "nothing sent yet: push a screenshot first (p or n)",
        ]


async def test_an_early_scrape_that_is_in_is_drawn_in_the_first_frame(
    sim: SimServer, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path, images=None)
    sources = app.console_screen.sources
    assert isinstance(sources, LiveSources)
    sources.scrape_ahead()  # as attach does, before the app is built
    feed = sources.metrics
    assert isinstance(feed, ScrapeAhead)
    assert feed.wait_s(10.0)  # it is in before the screen mounts
    screen = app.console_screen
    screen.config = dataclasses.replace(screen.config, scrape_interval_s=60.0)

    async def not_asked() -> Observation:
        raise AssertionError("the screen asked the feed instead of taking what was in hand")

    feed.observe = not_asked  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        panel = screen.query_one(ServerPanel)
        assert panel.stats is not None and panel.stats.kv_capacity is not None
        assert panel.stats.kv_capacity.capacity_tokens == 2_097_152
        assert screen.header.info is not None and screen.connection.link is Link.LIVE


async def test_findings_mark_the_receipts_they_name_and_f_lists_them(
    sim: SimServer, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.console_screen
        await until(pilot, lambda: screen.chat.engine is not None)
        assert screen.check_action("findings", ()) is True, "the server's own, before a turn"
        await pilot.press("f")
        await until(pilot, lambda: app.screen is not screen)
        shown = str(app.screen.query_one("#findings-list").render())
        assert "No turn yet" in shown
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("n")
        await until(pilot, lambda: len(screen.chat.records) == 1)
        await pilot.press("n")
        await until(pilot, lambda: len(screen.chat.records) == 2)
        await pilot.pause()
        found = screen.current_findings()
        budget = next(f for f in found if f.rule == "context-budget")
        assert budget.title.endswith("will not fit the 32,768-token context")
        views = list(app.query(TurnView))
        await until(pilot, lambda: views[1].has_class("-findings"))
        marks = str(views[1].query_one("#findings").render())
        assert budget.title in marks, "the turn the budget was measured at"
        assert budget.title not in str(views[0].query_one("#findings").render())
        await pilot.press("f")
        await until(pilot, lambda: app.screen is not screen)
        shown = str(app.screen.query_one("#findings-list").render())
        assert "In the 2 turn(s) of this conversation" in shown and budget.evidence in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_i_shows_what_the_server_runs_with_and_where_each_value_was_read(
    sim: SimServer, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.console_screen
        await until(pilot, lambda: screen.info is not None and screen.panel.stats is not None)
        await pilot.press("i")
        await until(pilot, lambda: app.screen is not screen)
        from rich.console import Console

        from vlmconsole.ui.screens.launch_screen import LaunchScreen
        from vlmconsole.views.launch_view import launch_table

        shown_screen = app.screen
        assert isinstance(shown_screen, LaunchScreen)
        console = Console(width=140, record=True)
        console.print(launch_table(shown_screen.launch))
        shown = console.export_text()
        model = screen.info.models[0] if screen.info else None
        assert model is not None and model.max_model_len
        length = rf"max model length +{model.max_model_len} +--max-model-len +/v1/models"
        assert re.search(length, shown), shown
        assert re.search(r"KV block size +128 +--block-size +cache_config_info", shown), shown
        assert "command line" not in shown, "the demo server is no vLLM process: no command"
        await pilot.press("i")
        await until(pilot, lambda: app.screen is screen)


async def test_n_pressed_as_the_folder_is_listed_still_pushes(
    sim: SimServer, tmp_path: Path
) -> None:
    """The watched folder is listed once a second; a listing that starts in the same
    moment as `n` must not cancel the push (they once shared an exclusive worker group)."""
    app = console_for(sim.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        chat = app.console_screen.chat
        await until(pilot, lambda: chat.engine is not None and chat.folder is not None)
        chat.push_next()
        chat._look_for_new_images()  # the second's tick, before the push's worker ran
        await until(pilot, lambda: len(chat.records) == 1 and not chat.turn_busy)
        assert chat.records[0].ok, chat.records[0].error
