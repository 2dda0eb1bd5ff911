"""The console screen: one vLLM server observed live, and the chat pushed into it.

It renders what the injected sources say (ConsoleSources: metrics feed, turn
engine, container watch, images folder) and builds none of them. Blocking work
runs in named workers that post typed messages back; the chat column owns the turns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from vlmconsole.model.connection import Connection, connection_failed, connection_ok
from vlmconsole.model.container import ContainerInfo, ContainerStatus
from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.server_stats import derive_stats
from vlmconsole.model.stats_timeline import StatsTimeline
from vlmconsole.model.window_policy import PolicyError, WindowPolicy
from vlmconsole.sources.console_sources import (
    ConsoleSources,
    ContainerWatch,
    MetricsUnusable,
    ServerUnreachable,
    SourceError,
)
from vlmconsole.ui.console_commands import WHY_NOT, command_for, console_bindings
from vlmconsole.ui.messages import (
    ContainerFound,
    ContainerSeen,
    MetricsScraped,
    ReceiptShown,
    ScrapeFailed,
    WorkerFailed,
)
from vlmconsole.ui.widgets.chat_column import ChatColumn
from vlmconsole.ui.widgets.key_bar import KeyBar
from vlmconsole.ui.widgets.server_header import ServerHeader
from vlmconsole.ui.widgets.server_panel import ServerPanel
from vlmconsole.views.container_line import container_line

if TYPE_CHECKING:  # the findings and launch settings load on first use, not at start-up
    from vlmconsole.model.finding_types import Finding, ServerFacts
    from vlmconsole.model.launch_config import LaunchConfig
    from vlmconsole.model.run_settings import RunSettings
    from vlmconsole.model.server_info import ServerInfo
    from vlmconsole.ui.console_config import ConsoleConfig

CONTAINER_CHECK_S = 1.0


class ConsoleScreen(Screen[None]):
    """The header, the server panel, the chat column and the key bar."""

    BINDINGS = console_bindings()  # one table: keys, palette and help (console_commands.py)
    AUTO_FOCUS = ""
    """Nothing is focused at start: the console's keys are single keys, and focusing the
    panel's scroll restyled every widget under it twice before the first metrics (~0.1 s
    each: bench_console.py --only startup). Tab still focuses the panel and the chat."""

    def __init__(
        self,
        config: ConsoleConfig,
        sources: ConsoleSources,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.config = config
        self.sources = sources
        self.clock = clock
        self.history = MetricsHistory(keep_s=120.0)
        self.timeline = StatsTimeline()
        self.connection = Connection()
        self.info: ServerInfo | None = None
        self.container: ContainerInfo | None = config.container
        self._watch: ContainerWatch | None = None
        self._scrape_in_flight = False
        self._closing = False
        self._look_for_container = config.container is None and config.find_container
        """Docker is slow to ask: the look-up waits until the first scrape is on screen."""
        self.chat = ChatColumn(config, sources)
        self.header = ServerHeader()
        self.panel = ServerPanel()

    def compose(self) -> ComposeResult:
        """Returns the header, the server panel, the chat column, and the key bar."""
        header = self.header
        header.url = self.config.url
        if self.container is not None:
            header.container = container_line(self.container, None, datetime.now(UTC))
        yield header
        with Horizontal(id="body"):
            # (textual.lazy.Lazy here drew the first frame 0.11 s sooner, empty, but the
            # first metrics 0.15 s later: bench_console.py --only startup)
            yield self.panel
            yield self.chat
        yield KeyBar()

    def on_mount(self) -> None:
        """Starts scraping, and watching the container (or looking for it)."""
        if self.container is not None:
            self._watch_container(self.container)
        self.set_interval(self.config.scrape_interval_s, self._scrape_tick)
        self.set_interval(1.0, self._second_tick)
        early = self.sources.metrics.ready()
        if early is not None:  # scraped while the console loaded: in the first frame
            self._scraped(MetricsScraped(early, self.clock()))
        else:
            self._scrape_tick()

    # --- what can run --------------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        """Returns why a console command cannot run yet, or None when it can."""
        command = command_for(action)
        if command is None or command.needs is None:
            return None
        chat = self.chat
        met = {
            "chat": chat.engine is not None,
            "turn": chat.engine is not None and chat.engine.in_flight,
            "folder": chat.folder is not None,
            "sent": chat.last_asset is not None,
        }[command.needs]
        return None if met else WHY_NOT[command.needs]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dims a command in the key bar until it can run (None: shown, but disabled)."""
        return None if self.unavailable(action) else True

    # --- observing -----------------------------------------------------------------------

    def _scrape_tick(self) -> None:
        retry_at = self.connection.retry_at_s
        if retry_at is not None and self.clock() < retry_at:
            return
        if self._scrape_in_flight or self._closing:
            return  # a slow server: let the scrape finish rather than cancel it
        self._scrape_in_flight = True
        self._scrape()

    @work(group="scrape", exit_on_error=False)
    async def _scrape(self) -> None:
        try:
            observation = await self.sources.metrics.observe()
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
        if self._closing:
            return
        observation = message.observation
        self.history.add(observation.snapshot)
        stats = derive_stats(self.history)
        self.timeline = self.timeline.add(stats)
        self.connection = connection_ok(message.at_s)
        self.info = observation.info
        panel = self.panel
        panel.stats = stats
        panel.timeline = self.timeline
        header = self.header
        header.info = observation.info
        header.connection = self.connection
        header.now_s = message.at_s
        header.uptime_s = stats.uptime_s
        self.chat.server_serves(observation.info)
        self._after_first_scrape()

    @on(ScrapeFailed)
    def _scrape_failed(self, message: ScrapeFailed) -> None:
        if self._closing:
            return
        self.connection = connection_failed(
            self.connection,
            message.error,
            message.at_s,
            self.config.scrape_interval_s,
            message.answered,
        )
        header = self.header
        if message.info is not None:  # it answers and serves models: the chat goes on
            self.info = message.info
            header.info = message.info
            self.chat.server_serves(message.info)
        if "refused" in message.error:
            self.chat.server_went_away(message.error)
        header.connection = self.connection
        header.now_s = message.at_s
        self._after_first_scrape()

    def _after_first_scrape(self) -> None:
        if self._look_for_container:
            self._look_for_container = False
            self.call_after_refresh(self._find_container)

    def _second_tick(self) -> None:
        if not self._closing:
            self.header.now_s = self.clock()

    def on_resize(self, event: Resize) -> None:
        """Hides the charts on a short terminal, narrows the panel on a narrow one."""
        self.set_class(event.size.height < 30, "-short")
        self.set_class(event.size.width < 120, "-narrow")

    # --- the container -------------------------------------------------------------------

    @work(thread=True, group="container-lookup", exit_on_error=False)
    def _find_container(self) -> None:
        """Looks for the local container serving the URL (after start-up: Docker is slow)."""
        self.post_message(ContainerFound(self.sources.find_container()))

    @on(ContainerFound)
    def _container_found(self, message: ContainerFound) -> None:
        if message.info is not None and not self._closing:
            self.container = message.info
            header = self.header
            header.container = container_line(message.info, None, datetime.now(UTC))
            self._watch_container(message.info)

    def _watch_container(self, info: ContainerInfo) -> None:
        self._watch = self.sources.container_watch(info)
        self.chat.logs.set_note(f"log of container {info.name}")
        self.set_interval(CONTAINER_CHECK_S, self._check_container)
        self._check_container()

    @work(thread=True, exclusive=True, group="container", exit_on_error=False)
    def _check_container(self) -> None:
        if self._watch is not None:
            self.post_message(ContainerSeen(self._watch.check()))

    @on(ContainerSeen)
    def _container_seen(self, message: ContainerSeen) -> None:
        if self._closing:
            return
        status: ContainerStatus = message.status
        header = self.header
        if status.info is None:
            header.container = status.note
            return
        self.container = status.info
        header.container = container_line(status.info, status.note, datetime.now(UTC))
        logs = self.chat.logs
        if logs.has_class("-shown") and status.info.running and logs.following != status.run_key:
            self._follow_log(status)

    def _follow_log(self, status: ContainerStatus) -> None:
        if self._watch is not None and status.info is not None:
            self.chat.logs.follow(self._watch, status.info, status.run_key)

    # --- actions (the keys and the palette: ui/console_commands.py) ---------------------

    def action_push(self) -> None:
        """Focuses the push bar, at once: keys typed or pasted right after `p` are already
        queued behind it (Widget.focus() would focus only after them)."""
        self.set_focus(self.chat.push_bar)

    def server_facts(self) -> ServerFacts:
        """Returns what the server says of itself that the findings read."""
        from vlmconsole.model.finding_types import ServerFacts

        stats, settings = self.panel.stats, self.chat.settings
        return ServerFacts.of(
            self.info.models if self.info is not None else (),
            settings.model if settings is not None else None,
            stats.kv_capacity if stats is not None else None,
            stats.mm_cache_queries_total if stats is not None else None,
        )

    def current_findings(self) -> list[Finding]:
        """Returns what the rules find in this conversation's turns (model/findings.py)."""
        from vlmconsole.model.findings import findings

        return findings(self.server_facts().conversation(self.chat.conversation_records))

    @on(ReceiptShown)
    async def _mark_findings(self) -> None:
        """Marks each turn a finding names (its receipt says so; f tells the rest)."""
        await self.chat.chat_log.mark(self.current_findings())

    def action_findings(self) -> None:
        """Shows the findings of the conversation so far, and the server's own."""
        self._show_findings()

    @work(group="launch", exclusive=True, exit_on_error=False)
    async def _show_findings(self) -> None:
        from vlmconsole.model.server_findings import server_findings
        from vlmconsole.ui.screens.findings_screen import FindingsScreen  # not at start-up

        launch = await self._launch()
        stats = self.panel.stats
        found = self.current_findings() + (server_findings(stats, launch) if stats else [])
        self.app.push_screen(FindingsScreen(found, len(self.chat.conversation_records)))

    def action_launch(self) -> None:
        """Shows what the server runs with."""
        self._show_launch()

    @work(group="launch", exclusive=True, exit_on_error=False)
    async def _show_launch(self) -> None:
        from vlmconsole.ui.screens.launch_screen import LaunchScreen  # not at start-up

        self.app.push_screen(LaunchScreen(await self._launch(), self.config.url))

    async def _launch(self) -> LaunchConfig:
        """Returns what the server runs with, read afresh (a restart may change it)."""
        from vlmconsole.model.rates import Scope
        from vlmconsole.model.server_stats import cache_config_labels

        latest = self.history.latest
        return await self.sources.launch(
            cache_config_labels(latest, Scope()) if latest is not None else None,
            self.info.max_model_len if self.info is not None else None,
            self.container,
        )

    def action_leave_input(self) -> None:
        """Leaves the push bar so single keys work again."""
        self.set_focus(None)

    def action_next_image(self) -> None:
        """Pushes the next screenshot of the images folder."""
        self.chat.push_next()

    def action_resend(self) -> None:
        """Sends the last screenshot again, byte for byte."""
        self.chat.resend()

    def action_watch(self) -> None:
        """Starts or stops pushing every new screenshot of the images folder."""
        self.chat.toggle_watch()

    def action_cancel_turn(self) -> None:
        """Ends the turn in flight now; it is journaled as cancelled."""
        self.chat.cancel()

    async def action_new_conversation(self) -> None:
        """Starts a new conversation: the next turn carries none of the earlier ones."""
        await self.chat.new_conversation()

    def action_toggle_breakdown(self) -> None:
        """Shows or hides where each turn's TTFT went."""
        log = self.chat.chat_log
        log.show_breakdown = not log.show_breakdown

    def action_settings(self) -> None:
        """Opens the settings screen for the next turns."""
        if self.chat.settings is None or self.info is None:
            return
        models = [card.id for card in self.info.models]
        from vlmconsole.ui.screens.settings_screen import SettingsScreen  # not at start-up

        self.app.push_screen(SettingsScreen(self.chat.settings, models), self._apply_settings)

    def _apply_settings(self, new: RunSettings | None) -> None:
        if new is not None:
            self.chat.apply_settings(new)

    def action_set_policy(self, text: str) -> None:
        """Applies a window policy from the next turn on."""
        try:
            policy = WindowPolicy.parse(text)
        except PolicyError as error:
            self.notify(str(error), severity="error")
            return
        self.chat.with_policy(policy)
        self.notify(f"window policy {policy} from the next turn on")

    def action_set_transport(self, name: str) -> None:
        """Sends images another way from the next turn on."""
        self.chat.with_transport(name)

    def action_export(self) -> None:
        """Writes the session's CSV, JSON Lines and HTML report."""
        if not self.chat.records:
            self.notify("no turn to export yet", severity="warning")
            return
        info = self.info
        settings = self.chat.settings
        self.chat.export(
            {
                "server": self.config.url,
                "vLLM": (info.version if info else None) or "not reported",
                "model": settings.model if settings else "?",
            },
            self.server_facts(),
        )

    def action_toggle_logs(self) -> None:
        """Shows or hides the container's log."""
        logs = self.chat.logs
        logs.toggle_class("-shown")
        if not logs.has_class("-shown"):
            return
        if self.container is None:
            self.notify("no container known: attach by container name to see its log")
        elif logs.following is None:
            self._follow_log(ContainerStatus(self.container))

    def action_toggle_polling(self) -> None:
        """Shows or hides the access-log lines of polls (/metrics, /health ...) in the log."""
        logs = self.chat.logs
        logs.toggle_polling()
        self.notify("polling lines shown" if logs.show_polling else "polling lines hidden")

    def action_help(self) -> None:
        """Opens the help screen."""
        from vlmconsole.ui.screens.help_screen import HelpScreen  # not at start-up

        self.app.push_screen(HelpScreen())

    # --- the end -------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))

    async def close(self) -> None:
        """Ends the log stream and the turn in flight, then closes the sources."""
        self._closing = True
        self.chat.logs.stop()
        await self.chat.close()
        if self._watch is not None:
            self._watch.close()
        await self.sources.aclose()
