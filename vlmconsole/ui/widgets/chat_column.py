"""The chat column: the conversation with the server, its charts, and the push bar.

It owns the turn engine (built in a thread once the server's models are known, from
the injected sources) and the turns' workers; the screen asks it for turns and
tells it what the server is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.worker import Worker, WorkerState

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_status import ABANDONED, CANCELLED
from vlmconsole.sources.console_sources import (
    ChatEngine,
    ConsoleSources,
    ScreenshotFolder,
    SourceError,
)
from vlmconsole.ui.messages import (
    EngineReady,
    ReceiptShown,
    ReplyText,
    TurnFinished,
    TurnStarted,
    WorkerFailed,
)
from vlmconsole.ui.widgets.chat_log import ChatLog
from vlmconsole.ui.widgets.logs_pane import LogsPane
from vlmconsole.ui.widgets.push_bar import PushBar
from vlmconsole.ui.widgets.run_bar import RunBar
from vlmconsole.ui.widgets.trend_chart import TrendChart
from vlmconsole.ui.widgets.turn_view import TurnView, preview_pixels

if TYPE_CHECKING:
    from vlmconsole.model.finding_types import ServerFacts
    from vlmconsole.model.server_info import ServerInfo
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.window_policy import WindowPolicy
    from vlmconsole.sources.console_sources import ImageAsset
    from vlmconsole.ui.console_config import ConsoleConfig

REPLY_FLUSH_S = 0.1
"""How often streamed words reach the chat."""

CONTEXT_FULL_HINT = (
    "the conversation no longer fits the model's context:"
    " press c for a new conversation, or choose a window policy (s)"
)


class ChatColumn(Vertical):
    """The turns of the session, sent one at a time through the chat engine."""

    def __init__(self, config: ConsoleConfig, sources: ConsoleSources) -> None:
        super().__init__(id="chat-column")
        self.config = config
        self.sources = sources
        self.engine: ChatEngine | None = None
        self.settings: RunSettings | None = None
        self.records: list[TurnRecord] = []
        self.conversation_from = 0
        """The index in `records` where the conversation the server sees began."""
        self.last_asset: ImageAsset | None = None
        self.turn_busy = False
        self.watching = False
        self.folder: ScreenshotFolder | None = None
        self._listing = False
        """A listing of the watched folder is under way (a slow folder: skip a second)."""
        self._pending_turn: tuple[ImageAsset | None, str, Path | None] | None = None
        """A turn pushed while the engine was still being built."""
        self._serves: ServerInfo | None = None
        """What the server said it serves before the column was mounted."""
        self.logs = LogsPane()
        self.chat_log = ChatLog()
        self.trend = TrendChart()
        self.run_bar = RunBar()
        self.push_bar = PushBar()

    def compose(self) -> ComposeResult:
        """Returns the chat, its charts, the container log, the run line and the push bar."""
        yield self.chat_log
        yield self.trend
        yield self.logs
        yield self.run_bar
        yield self.push_bar

    def on_mount(self) -> None:
        """Opens the images folder, and starts watching it."""
        self.run_bar.session_dir = self.config.session_dir.name
        try:
            self.folder = self.sources.screenshot_folder()
        except SourceError as error:
            self.notify(str(error), severity="error")
        if self.folder is not None:
            self.set_interval(1.0, self._look_for_new_images)
        if self._serves is not None:
            self.server_serves(self._serves)

    # --- the engine ----------------------------------------------------------------------

    def server_serves(self, info: ServerInfo) -> None:
        """Builds the engine (in a thread) the first time the server says what it serves."""
        if self.settings is not None or not info.models:
            return
        if not self.is_mounted:  # mounted after the first frame: it asks again then
            self._serves = info
            return
        names = [card.id for card in info.models]
        model = self.config.model if self.config.model in names else names[0]
        if self.config.model and self.config.model not in names:
            self.notify(f"the server does not serve {self.config.model!r}; using {model}")
        self.settings = RunSettings(
            model, self.config.policy, self.config.transport, self.config.max_tokens
        )
        self.run_bar.settings = self.settings
        self._build_engine(self.settings)

    @work(thread=True, group="engine", exit_on_error=False)
    def _build_engine(self, settings: RunSettings) -> None:
        """Builds the turn engine off the event loop (importing the openai SDK takes ~0.5 s)."""
        self.post_message(EngineReady(self.sources.chat_engine(settings)))

    @on(EngineReady)
    async def _engine_ready(self, message: EngineReady) -> None:
        if not self.is_attached:
            await message.engine.aclose()
            return
        self.engine = message.engine
        self.screen.refresh_bindings()  # the commands that wait for the chat can run now
        pending, self._pending_turn = self._pending_turn, None
        if pending is not None:
            self._send(*pending)

    def server_went_away(self, why: str) -> None:
        """Ends the turn in flight: the server refused the connection."""
        if self.engine is not None:
            self.engine.abort(f"the server went away mid-turn: {why}")

    # --- turns ---------------------------------------------------------------------------

    @on(PushBar.Pushed)
    def _pushed(self, message: PushBar.Pushed) -> None:
        request = message.request
        if request.path is None:
            self._send(None, request.text, None)
        else:
            self._send(None, request.text or self.config.text, request.path)

    def push_next(self) -> None:
        """Pushes the next screenshot of the folder."""
        self._next_image()

    # The push and the watched folder's listing are separate groups: an exclusive
    # listing would cancel a push that had not started yet, and `n` would do nothing.
    @work(thread=True, exclusive=True, group="next-image", exit_on_error=False)
    def _next_image(self) -> None:
        folder = self.folder
        if folder is None:
            return
        path = folder.next_image()
        if path is None:
            self.app.call_from_thread(self.notify, f"no more images in {folder.folder}")
            return
        self.app.call_from_thread(self._send, None, self.config.text, path)

    def _look_for_new_images(self) -> None:
        """Lists the watched folder each second, unless the last listing is still going."""
        if self.folder is None or not self.watching or self.turn_busy or self._listing:
            return
        self._listing = True
        self._list_folder(self.folder)

    @work(thread=True, group="watch-folder", exit_on_error=False)
    def _list_folder(self, folder: ScreenshotFolder) -> None:
        """Lists the watched folder (in a thread: a network folder can be slow)."""
        try:
            fresh = folder.new_images()
        finally:
            self._listing = False
        if fresh:
            self.app.call_from_thread(self._send, None, self.config.text, fresh[0])

    def resend(self) -> None:
        """Sends the last screenshot again, byte for byte."""
        if self.last_asset is not None:
            self._send(self.last_asset, self.config.text, None)

    def toggle_watch(self) -> None:
        """Starts or stops pushing every new screenshot of the folder."""
        if self.folder is None:
            return
        self.watching = not self.watching
        state = "watching" if self.watching else "stopped watching"
        self.notify(f"{state} {self.folder.folder}")

    def cancel(self) -> None:
        """Ends the turn in flight now; it is journaled as cancelled."""
        if self.engine is not None and self.engine.abort("cancelled by the user", CANCELLED):
            self.notify("turn cancelled")
        else:
            self.notify("no turn in flight", severity="warning")

    def _send(self, asset: ImageAsset | None, text: str, path: Path | None) -> None:
        if self.turn_busy or self._pending_turn is not None:
            self.notify("a turn is in flight: wait for its receipt", severity="warning")
            return
        if self.engine is None and self.settings is None:
            self.notify("not connected yet: waiting for the server's models", severity="warning")
            return
        self.run_bar.busy = True
        if self.engine is None:
            # the chat client is being built (a second at most): the turn goes out then
            self._pending_turn = (asset, text, path)
            return
        self.turn_busy = True
        self._turn(self.engine, asset, text, path)

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _turn(
        self, engine: ChatEngine, asset: ImageAsset | None, text: str, path: Path | None
    ) -> None:
        number = engine.turns + 1
        if asset is None and path is not None:
            try:
                asset = await asyncio.to_thread(self.sources.load_image, path)
            except SourceError as error:
                self.post_message(TurnStarted(number, text, str(path), None, None))
                self.post_message(TurnFinished(engine.record_failure(text, str(error))))
                return
        if asset is not None:
            self.last_asset = asset
        size = (asset.width, asset.height) if asset else None
        preview = None
        if asset is not None and self.config.preview != "none":
            pixels = preview_pixels(self.config.preview)
            preview = await asyncio.to_thread(self.sources.preview, asset, pixels)
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
        view = TurnView(
            message.turn,
            message.text,
            message.image_label,
            message.image_size,
            message.preview,
            self.config.preview,
        )
        await self.chat_log.add_turn(view)
        self.screen.refresh_bindings()  # x can cancel it, r can resend

    @on(ReplyText)
    async def _reply_text(self, message: ReplyText) -> None:
        await self.chat_log.append_reply(message.turn, message.text)

    @on(TurnFinished)
    async def _turn_finished(self, message: TurnFinished) -> None:
        self.records.append(message.record)
        await self.chat_log.finish(message.record)
        self.trend.records = tuple(self.records)
        run_bar = self.run_bar
        run_bar.turns = len(self.records)
        run_bar.busy = False
        self.turn_busy = False
        self.screen.refresh_bindings()
        if message.record.context_full:
            self.notify(CONTEXT_FULL_HINT, severity="warning", timeout=15)
        self.post_message(ReceiptShown())

    @property
    def conversation_records(self) -> list[TurnRecord]:
        """Returns the turns of the conversation the server sees now, in order."""
        return self.records[self.conversation_from :]

    def worker_failed(self, worker: Worker[object]) -> None:
        """Frees the push bar after a turn's worker failed unexpectedly."""
        if worker.group in ("turn", "engine"):
            self.turn_busy = False
            self._pending_turn = None
            self.run_bar.busy = False

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))

    # --- the conversation ----------------------------------------------------------------

    async def new_conversation(self) -> None:
        """Starts a new conversation: the next turn carries none of the earlier ones."""
        if self.turn_busy or self.engine is None:
            self.notify("a turn is in flight: wait for its receipt", severity="warning")
            return
        self.engine.new_conversation()
        self.conversation_from = len(self.records)
        await self.chat_log.add_divider(
            f"── new conversation after turn {len(self.records)}:"
            " the server sees none of the turns above ──"
        )
        self.notify("new conversation: the next turn starts from the system prompt alone")

    def apply_settings(self, new: RunSettings) -> None:
        """Uses `new` from the next turn on."""
        if self.engine is None or self.settings is None:
            return
        old = self.settings
        self.engine.configure(model=new.model, policy=new.policy, max_tokens=new.max_tokens)
        self.settings = new
        self.run_bar.settings = new
        if new.transport != old.transport:
            self._swap_transport(new.transport)

    def with_policy(self, policy: WindowPolicy) -> None:
        """Applies a window policy from the next turn on."""
        if self.settings is not None:
            s = self.settings
            self.apply_settings(RunSettings(s.model, policy, s.transport, s.max_tokens))

    def with_transport(self, name: str) -> None:
        """Sends images another way from the next turn on."""
        if self.settings is not None:
            s = self.settings
            self.apply_settings(RunSettings(s.model, s.policy, name, s.max_tokens))

    @work(exclusive=True, group="settings", exit_on_error=False)
    async def _swap_transport(self, name: str) -> None:
        if self.engine is None:
            return
        try:
            await self.engine.swap_transport(self.sources.transport(name))
        except SourceError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(f"transport {name} from the next turn on")

    def export(self, meta: dict[str, str], facts: ServerFacts) -> None:
        """Writes the session's CSV, JSON Lines, HTML report and summary (in a thread)."""
        self._export(tuple(self.records), meta, facts)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(
        self, records: Sequence[TurnRecord], meta: dict[str, str], facts: ServerFacts
    ) -> None:
        from vlmconsole.export import export_all

        meta = {**meta, "exported": datetime.now(UTC).isoformat(timespec="seconds")}
        folder = self.config.session_dir
        written = export_all(tuple(records), folder, "vlmconsole session", meta, facts)
        paths = ", ".join(str(p) for p in written.values())
        self.app.call_from_thread(
            self.notify, f"exported {len(records)} turns: {paths}", timeout=10
        )

    async def close(self) -> None:
        """Journals a turn still in flight as abandoned, then closes the engine."""
        engine = self.engine
        if engine is None:
            return
        if engine.abort("the console quit with the turn in flight", ABANDONED):
            for worker in [w for w in self.workers if w.group == "turn"]:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(worker.wait(), 5)
        await engine.aclose()
