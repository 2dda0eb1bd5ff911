"""The console: one vLLM server observed live, and screenshot turns pushed into it.

The app holds the state and the sources; widgets render what it sets. All I/O
runs in named workers (scrape, turn, export) that post typed messages back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.actions import ActionParseResult
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.events import Resize
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from vlmconsole.model.connection import Connection, connection_failed, connection_ok
from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.server_stats import derive_stats
from vlmconsole.model.stats_timeline import StatsTimeline
from vlmconsole.model.turn_record import ABANDONED, TurnRecord
from vlmconsole.sources.heap import release_free_heap
from vlmconsole.sources.image_folder import ImageFolder
from vlmconsole.sources.observer import MetricsUnusable
from vlmconsole.sources.screenshots import ImageAsset, ImageError, load_image, preview_image
from vlmconsole.sources.source_errors import ServerUnreachable, SourceError

if TYPE_CHECKING:
    from vlmconsole.sources.turn_engine import TurnEngine
from vlmconsole.ui.console_actions import ConsoleActions
from vlmconsole.ui.console_commands import WHY_NOT, command_for, console_bindings
from vlmconsole.ui.console_config import ConsoleConfig, EngineFactory, ObserverLike
from vlmconsole.ui.container_watch import ContainerWatch, container_line
from vlmconsole.ui.messages import (
    EngineReady,
    MetricsScraped,
    ReplyText,
    ScrapeFailed,
    TurnFinished,
    TurnStarted,
)
from vlmconsole.ui.palette import ConsoleCommands
from vlmconsole.ui.themes import (
    DEFAULT_THEME,
    THEME_VARIABLE_DEFAULTS,
    load_themes,
    theme_folders,
)
from vlmconsole.ui.widgets.chat_log import ChatLog
from vlmconsole.ui.widgets.logs_pane import LogsPane
from vlmconsole.ui.widgets.push_bar import PushBar
from vlmconsole.ui.widgets.run_bar import RunBar
from vlmconsole.ui.widgets.server_header import ServerHeader
from vlmconsole.ui.widgets.server_panel import ServerPanel
from vlmconsole.ui.widgets.trend_chart import TrendChart
from vlmconsole.ui.widgets.turn_view import TurnView, preview_pixels

REPLY_FLUSH_S = 0.1
"""How often streamed words reach the chat."""


class VlmConsoleApp(ContainerWatch, ConsoleActions):
    """vlmconsole attach: the console."""

    CSS_PATH = "app.tcss"
    TITLE = "vlmconsole"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = console_bindings()  # one table: keys, palette and help (console_commands.py)

    def __init__(
        self,
        config: ConsoleConfig,
        observer: ObserverLike,
        make_engine: EngineFactory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.config = config
        self.observer = observer
        self.make_engine = make_engine
        self.clock = clock
        self.history = MetricsHistory(keep_s=120.0)
        self.timeline = StatsTimeline()
        self.connection = Connection()
        self.info: ServerInfo | None = None
        self.settings: RunSettings | None = None
        self.engine: TurnEngine | None = None
        self.records: list[TurnRecord] = []
        self.last_asset: ImageAsset | None = None
        self.turn_busy = False
        self.watching = False
        self.folder: ImageFolder | None = None
        themes, self._theme_problems = load_themes(theme_folders())
        for theme in themes:
            self.register_theme(theme)
        # only themes that define the console's own colour variables take part in `t`
        self._theme_names = [t.name for t in themes]
        self._scrape_in_flight = False
        # a turn pushed while the engine was still being built
        self._pending_turn: tuple[ImageAsset | None, str, Path | None] | None = None
        wanted = config.theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self._theme_problems.append(f"no theme named {wanted!r}: using {self.theme}")

    def unavailable(self, action: str) -> str | None:
        """Returns why a console command cannot run yet, or None when it can."""
        command = command_for(action)
        if command is None or command.needs is None:
            return None
        met = {
            "chat": self.engine is not None,
            "turn": self.engine is not None and self.engine.in_flight,
            "folder": self.folder is not None,
            "sent": self.last_asset is not None,
        }[command.needs]
        return None if met else WHY_NOT[command.needs]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dims a command in the footer until it can run (None: shown, but disabled)."""
        return None if self.unavailable(action) else True

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Runs an action; a console command pressed too early says why instead."""
        handled = await super().run_action(action, default_namespace, namespaces)
        if not handled and isinstance(action, str):
            why = self.unavailable(action.split("(", 1)[0])
            if why is not None:
                self.notify(why, severity="warning")
        return handled

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Returns the console's colour variables for themes that do not set them."""
        return dict(THEME_VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        """Returns the header, the server panel, the chat with its charts, and the footer."""
        header = self._header = ServerHeader()
        header.url = self.config.url
        if self.config.container is not None:
            header.container = container_line(self.config.container, None, datetime.now(UTC))
        yield header
        with Horizontal(id="body"):
            yield ServerPanel()
            with Vertical(id="chat-column"):
                yield ChatLog()
                yield TrendChart()
                yield LogsPane()
                yield RunBar()
                yield PushBar()
        yield Footer()

    def on_mount(self) -> None:
        """Says what was wrong with the themes, then starts scraping."""
        for problem in self._theme_problems:
            self.notify(problem, title="themes", severity="warning", timeout=8)
        self.query_one(RunBar).session_dir = self.config.session_dir.name
        if self.config.images_dir is not None:
            try:
                self.folder = ImageFolder(self.config.images_dir)
            except ImageError as error:
                self.notify(str(error), severity="error")
        self.container = self.config.container
        self.start_container_watch()
        if self.container is None and self.config.find_container:
            self.look_for_container(self.config.url)
        self.set_interval(self.config.scrape_interval_s, self._scrape_tick)
        self.set_interval(1.0, self._second_tick)
        self._scrape_tick()

    # --- observing -----------------------------------------------------------------------

    def _scrape_tick(self) -> None:
        retry_at = self.connection.retry_at_s
        if retry_at is not None and self.clock() < retry_at:
            return
        if self._scrape_in_flight:
            return  # a slow server: let the scrape finish rather than cancel it
        self._scrape_in_flight = True
        self._scrape()

    @work(group="scrape", exit_on_error=False)
    async def _scrape(self) -> None:
        try:
            observation = await self.observer.observe()
        except MetricsUnusable as error:
            self.post_message(ScrapeFailed(str(error), self.clock(), True, error.info))
            return
        except SourceError as error:
            answered = not isinstance(error, ServerUnreachable)
            self.post_message(ScrapeFailed(str(error), self.clock(), answered))
            return
        finally:
            self._scrape_in_flight = False
        self.post_message(MetricsScraped(observation, self.clock()))

    @on(MetricsScraped)
    def _scraped(self, message: MetricsScraped) -> None:
        if self._console_closing():
            return  # a scrape that lands while the console closes
        observation = message.observation
        self.history.add(observation.snapshot)
        stats = derive_stats(self.history)
        self.timeline = self.timeline.add(stats)
        self.connection = connection_ok(message.at_s)
        self.info = observation.info
        panel = self.query_one(ServerPanel)
        panel.stats = stats
        panel.timeline = self.timeline
        header = self.query_one(ServerHeader)
        header.info = observation.info
        header.connection = self.connection
        header.now_s = message.at_s
        header.uptime_s = stats.uptime_s
        self._chat_when_ready(observation.info)

    def _chat_when_ready(self, info: ServerInfo) -> None:
        """Builds the turn engine (in a thread) once the server has said what it serves."""
        if self.settings is None and info.models:
            self.settings = RunSettings(info.models[0].id)
            self.call_after_refresh(self._start_engine, info)

    @on(ScrapeFailed)
    def _scrape_failed(self, message: ScrapeFailed) -> None:
        if self._console_closing():
            return
        self.connection = connection_failed(
            self.connection,
            message.error,
            message.at_s,
            self.config.scrape_interval_s,
            message.answered,
        )
        if message.info is not None:  # it answers and serves models: the chat goes on
            self.info = message.info
            self.query_one(ServerHeader).info = message.info
            self._chat_when_ready(message.info)
        if self.engine is not None and "refused" in message.error:
            self.engine.abort(f"the server went away mid-turn: {message.error}")
        header = self.query_one(ServerHeader)
        header.connection = self.connection
        header.now_s = message.at_s

    def _start_engine(self, info: ServerInfo) -> None:
        names = [card.id for card in info.models]
        model = self.config.model if self.config.model in names else names[0]
        if self.config.model and self.config.model not in names:
            self.notify(f"the server does not serve {self.config.model!r}; using {model}")
        self.settings = RunSettings(
            model, self.config.policy, self.config.transport, self.config.max_tokens
        )
        self.query_one(RunBar).settings = self.settings
        self._build_engine(self.settings)

    @work(thread=True, group="engine", exit_on_error=False)
    def _build_engine(self, settings: RunSettings) -> None:
        """Builds the turn engine off the event loop (importing the openai SDK takes ~0.5 s)."""
        self.post_message(EngineReady(self.make_engine(settings)))

    @on(EngineReady)
    async def _engine_ready(self, message: EngineReady) -> None:
        if self._console_closing():
            await message.engine.aclose()
            message.engine.journal.close()
            return
        self.engine = message.engine
        self.refresh_bindings()  # the commands that wait for the chat can run now
        pending, self._pending_turn = self._pending_turn, None
        if pending is not None:
            self._send(*pending)

    def _second_tick(self) -> None:
        if self._console_closing():
            return
        header = self.query_one(ServerHeader)
        header.now_s = self.clock()
        if self.watching and self.folder is not None and not self.turn_busy:
            fresh = self.folder.new_images()
            if fresh:
                self._push_path(fresh[0], self.config.text)

    def on_resize(self, event: Resize) -> None:
        self.screen.set_class(event.size.height < 30, "-short")
        self.screen.set_class(event.size.width < 120, "-narrow")

    # --- turns ---------------------------------------------------------------------------

    @on(PushBar.Pushed)
    def _pushed(self, message: PushBar.Pushed) -> None:
        request = message.request
        if request.path is None:
            self._send(None, request.text, None)
        else:
            self._push_path(request.path, request.text or self.config.text)

    def _push_path(self, path: Path, text: str) -> None:
        self._send(None, text, path)

    def _can_send(self) -> bool:
        if self.turn_busy or self._pending_turn is not None:
            self.notify("a turn is in flight: wait for its receipt", severity="warning")
            return False
        if self.engine is None and self.settings is None:
            self.notify("not connected yet: waiting for the server's models", severity="warning")
            return False
        return True

    def _send(self, asset: ImageAsset | None, text: str, path: Path | None) -> None:
        if not self._can_send():
            return
        if self.engine is None:
            # the chat client is being built (a second at most): the turn goes out then
            self._pending_turn = (asset, text, path)
            self.query_one(RunBar).busy = True
            return
        self.turn_busy = True
        self.query_one(RunBar).busy = True
        self._turn(asset, text, path)

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _turn(self, asset: ImageAsset | None, text: str, path: Path | None) -> None:
        engine = self.engine
        assert engine is not None
        number = engine.turns + 1
        if asset is None and path is not None:
            try:
                asset = await asyncio.to_thread(load_image, path)
            except ImageError as error:
                self.post_message(TurnStarted(number, text, str(path), None, None))
                self.post_message(TurnFinished(engine.record_failure(text, str(error))))
                return
        if asset is not None:
            self.last_asset = asset
        size = (asset.width, asset.height) if asset else None
        preview = None
        if asset is not None and self.config.preview != "none":
            pixels = preview_pixels(self.config.preview)
            preview = await asyncio.to_thread(preview_image, asset, pixels)
        self.post_message(TurnStarted(number, text, asset.label if asset else None, size, preview))

        # Words come a token at a time (hundreds a second from a fast server): they are
        # gathered and handed to the chat a few times a second, so that drawing them
        # never falls behind the stream (and the scrapes behind the drawing).
        heard: list[str] = []

        def flush() -> None:
            if heard:
                self.post_message(ReplyText(number, "".join(heard)))
                heard.clear()

        def on_text(words: str) -> None:
            if not heard:
                self.set_timer(REPLY_FLUSH_S, flush)
            heard.append(words)

        record = await engine.send(text, [asset] if asset else [], on_text=on_text)
        flush()
        self.post_message(TurnFinished(record))

    @on(TurnStarted)
    async def _turn_started(self, message: TurnStarted) -> None:
        if self._console_closing():
            return
        view = TurnView(
            message.turn,
            message.text,
            message.image_label,
            message.image_size,
            message.preview,
            self.config.preview,
        )
        await self.query_one(ChatLog).add_turn(view)
        self.refresh_bindings()  # x can cancel it, r can resend

    @on(ReplyText)
    async def _reply_text(self, message: ReplyText) -> None:
        if self._console_closing():
            return
        await self.query_one(ChatLog).append_reply(message.turn, message.text)

    @on(TurnFinished)
    async def _turn_finished(self, message: TurnFinished) -> None:
        self.records.append(message.record)
        if self._console_closing():
            return
        await self.query_one(ChatLog).finish(message.record)
        self.query_one(TrendChart).records = tuple(self.records)
        run_bar = self.query_one(RunBar)
        run_bar.turns = len(self.records)
        run_bar.busy = False
        self.turn_busy = False
        self.refresh_bindings()
        if message.record.context_full:
            self.notify(
                "the conversation no longer fits the model's context:"
                " press c for a new conversation, or choose a window policy (s)",
                severity="warning",
                timeout=15,
            )
        # the turn's request and reply bodies (MBs with base64 images) are garbage now
        release_free_heap()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors become a line on screen."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        self.notify(f"{event.worker.group}: {error}", severity="error", timeout=10)
        if event.worker.group in ("turn", "engine"):
            self.turn_busy = False
            self._pending_turn = None
            self.query_one(RunBar).busy = False

    async def on_unmount(self) -> None:
        """Journals a turn still in flight as abandoned, then closes the sources (the log
        stream first: its thread blocks until closed)."""
        self.stop_container_watch()
        await self.observer.aclose()
        if self.engine is not None and self.engine.abort(
            "the console quit with the turn in flight", ABANDONED
        ):
            for worker in [w for w in self.workers if w.group == "turn"]:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(worker.wait(), 5)
        if self.engine is not None:
            await self.engine.aclose()
            self.engine.journal.close()
