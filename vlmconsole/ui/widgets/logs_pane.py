"""The container's log, followed live: filterable, with the lines that matter coloured.

The pane owns its stream: a thread worker reads the log and hands the lines over in
batches (a chatty server writes hundreds of lines a second).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from vlmconsole.sources.console_sources import ContainerWatch, LogStream, SourceError
from vlmconsole.ui.messages import WorkerFailed
from vlmconsole.views.log_lines import is_polling, log_kind, matches
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from textual.widgets import RichLog

    from vlmconsole.model.container import ContainerInfo

KEEP_LINES = 5000
LOG_TAIL = 200
"""Lines of the log shown from before the pane opened."""
BATCH_S = 0.1
"""Lines read within this long reach the pane together."""


class LogsPane(Vertical):
    """The last lines of the container's log and a filter."""

    COMPONENT_CLASSES = {"logs--error", "logs--warning", "logs--preempt", "logs--kv"}
    DEFAULT_CSS = """
    LogsPane { height: 14; border-top: hkey $panel-lighten-1; display: none; }
    LogsPane.-shown { display: block; }
    LogsPane #logs-note { height: 1; color: $text-muted; padding: 0 1; }
    LogsPane #logs-filter { height: 1; border: none; padding: 0 1; }
    LogsPane RichLog { height: 1fr; background: $surface; }
    LogsPane > .logs--error { color: $error; text-style: bold; }
    LogsPane > .logs--warning { color: $warning; }
    LogsPane > .logs--preempt { color: $accent; text-style: bold; }
    LogsPane > .logs--kv { color: $secondary; }
    """

    def __init__(self) -> None:
        super().__init__(id="logs")
        self._stream: LogStream | None = None
        self._arrived: deque[tuple[str | None, str]] = deque()
        """Lines read by the worker thread, not yet shown: (run of the container, line)."""
        self._flusher: Timer | None = None
        self.following: str | None = None
        """The run of the container whose log is followed (its start time)."""
        self._lines: deque[str] = deque(maxlen=KEEP_LINES)
        self._filter = ""
        self.show_polling = False
        """Polls (GET /metrics, /health ... in the access log) are hidden unless set."""
        self._note = "no container known: attach by container name to follow its log"
        self._hidden = 0

    def compose(self) -> ComposeResult:
        """Returns the note line and the filter; the log itself is made when first used
        (most sessions never open it, and RichLog costs start-up ~20 ms to import)."""
        yield Static(self._note, id="logs-note", markup=False)
        yield Input(placeholder="filter the log (Enter)", id="logs-filter")

    def on_show(self) -> None:
        """Makes the log when the pane is first shown (l)."""
        self._log()

    def _log(self) -> RichLog:
        """Returns the log widget, made and mounted on first use."""
        from textual.widgets import RichLog

        found = self.query(RichLog)
        if found:
            return found.first()
        log = RichLog(id="logs-log", max_lines=KEEP_LINES, wrap=False, markup=False)
        self.mount(log)
        return log

    def follow(self, watch: ContainerWatch, info: ContainerInfo, run_key: str | None) -> None:
        """Follows the log of this run of the container, from its last LOG_TAIL lines."""
        self.stop()  # one stream at a time
        self.following = run_key
        self.clear_lines()
        if self._flusher is None:
            self._flusher = self.set_interval(BATCH_S, self._flush)
        self._read_log(watch, info, run_key)

    def stop(self) -> None:
        """Ends the log stream, so that its thread ends (the console can exit then)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def _read_log(self, watch: ContainerWatch, info: ContainerInfo, run_key: str | None) -> None:
        worker = get_current_worker()
        try:
            stream = self._stream = watch.follow_logs(info, LOG_TAIL)
            if worker.is_cancelled:
                stream.close()
            for line in stream:
                if worker.is_cancelled:
                    stream.close()
                    break
                self._arrived.append((run_key, line))  # deque.append: safe across threads
        except SourceError as error:
            self._arrived.append((run_key, f"(the log stopped: {error})"))

    def _flush(self) -> None:
        """Shows the lines that arrived since the last flush, all at once."""
        lines: list[str] = []
        while self._arrived:
            run_key, line = self._arrived.popleft()
            if run_key == self.following:
                lines.append(line)
        if lines:
            self.add_lines(lines)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))

    def set_note(self, text: str) -> None:
        """Shows where the lines come from (or why there are none)."""
        self._note = text
        self._show_note()

    def _show_note(self) -> None:
        if not self.is_mounted:
            return  # compose shows the note
        note = self._note
        if self._hidden and not self.show_polling:
            note += f"  ·  {self._hidden:,} polling lines hidden (h shows them)"
        elif self.show_polling:
            note += "  ·  polling lines shown (h hides them)"
        self.query_one("#logs-note", Static).update(plain(note))

    def _shown(self, line: str) -> bool:
        return (self.show_polling or not is_polling(line)) and matches(line, self._filter)

    def toggle_polling(self) -> None:
        """Shows or hides the access-log lines of polls, and redraws the log."""
        self.show_polling = not self.show_polling
        self._redraw()

    def _styled(self, line: str) -> Text:
        kind = log_kind(line)
        style = self.get_component_rich_style(f"logs--{kind}") if kind else ""
        return plain(line.rstrip("\n"), style)

    def add_lines(self, lines: list[str]) -> None:
        """Appends lines; those matching the filter show at once."""
        log = self._log()
        hidden = self._hidden
        for line in lines:
            self._lines.append(line)
            if self._shown(line):
                log.write(self._styled(line))
            elif not self.show_polling and is_polling(line):
                self._hidden += 1
        if self._hidden != hidden:
            self._show_note()

    def clear_lines(self) -> None:
        """Forgets the lines (a new container process starts a new log)."""
        self._lines.clear()
        self._hidden = 0
        self._log().clear()
        self._show_note()

    @on(Input.Submitted, "#logs-filter")
    def _filter_changed(self, event: Input.Submitted) -> None:
        event.stop()
        self._filter = event.value.strip()
        self._redraw()

    def _redraw(self) -> None:
        log = self._log()
        log.clear()
        for line in self._lines:
            if self._shown(line):
                log.write(self._styled(line))
        self._show_note()

    def shown_lines(self) -> list[str]:
        """Returns the kept lines the pane shows: matching the filter, polls only if shown."""
        return [line for line in self._lines if self._shown(line)]
