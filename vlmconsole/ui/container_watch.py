"""The container behind the server: checked every second, its log followed on demand.

A base class of the app. The Docker SDK blocks, so every call runs in a thread
worker and comes back as a message; widgets are never touched from a thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on, work
from textual.app import App
from textual.worker import get_current_worker

from vlmconsole.model.container import ContainerInfo
from vlmconsole.sources.docker_errors import (
    ContainerExited,
    ContainerGone,
    ContainerRestarted,
    DockerError,
    NoSuchContainer,
)
from vlmconsole.sources.docker_source import DockerSource, LogFollow, container_behind
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.ui.messages import ContainerFound, ContainerSeen, LogLines
from vlmconsole.ui.widgets.logs_pane import LogsPane
from vlmconsole.ui.widgets.server_header import ServerHeader
from vlmconsole.views import formatting as fmt

LOG_TAIL = 200


def container_line(info: ContainerInfo, note: str | None, now: datetime) -> str:
    """Returns the header's container part: name, image:tag, state, uptime, restarts."""
    parts = [info.name, info.image_ref, info.state]
    if info.running:
        parts.append(f"up {fmt.uptime(info.uptime_s(now))}")
    if info.restart_count:
        parts.append(f"{info.restart_count} restarts")
    line = " · ".join(parts)
    return f"{line} ({note})" if note and not info.running else line


class ContainerWatch(App[None]):
    """Container state in the header; its log in the logs pane."""

    container: ContainerInfo | None = None
    _following: str | None = None
    """The container start whose log is being followed."""
    _log_follow: LogFollow | None = None
    """The open log stream; closing it (from any thread) ends its worker."""
    _header: ServerHeader | None = None
    """The header once composed; while it is attached, the console's widgets are there."""

    def _console_closing(self) -> bool:
        """Returns True once the console is shutting down (its widgets may be gone)."""
        header = self._header
        return self._exit or not self.screen_stack or header is None or not header.is_attached

    def stop_container_watch(self) -> None:
        """Ends the log stream, so its thread ends and the console can exit."""
        follow, self._log_follow = self._log_follow, None
        if follow is not None:
            follow.close()

    def start_container_watch(self) -> None:
        """Starts checking the container every second (when there is one)."""
        if self.container is None:
            return
        self.query_one(LogsPane).set_note(f"log of container {self.container.name}")
        self.set_interval(1.0, self._container_check)
        self._container_check()

    @work(thread=True, group="container-lookup", exit_on_error=False)
    def look_for_container(self, url: str) -> None:
        """Looks for the local container serving `url` (after start-up: Docker is slow)."""
        self.post_message(ContainerFound(container_behind(parse_endpoint(url))))

    @on(ContainerFound)
    def _container_found(self, message: ContainerFound) -> None:
        if message.info is None or self._console_closing():
            return
        self.container = message.info
        header = self.query_one(ServerHeader)
        header.container = container_line(message.info, None, datetime.now(UTC))
        self.start_container_watch()

    @work(thread=True, exclusive=True, group="container", exit_on_error=False)
    def _container_check(self) -> None:
        attached = self.container
        if attached is None:
            return
        source = DockerSource(timeout_s=3.0)
        note: str | None = None
        info: ContainerInfo | None
        try:
            info = source.check_attached(attached)
        except ContainerRestarted as restarted:
            note = str(restarted)
            info = source.inspect(attached.id)
        except ContainerExited as exited:
            note = str(exited)
            info = source.inspect(attached.id)
        except ContainerGone as gone:
            note = str(gone)
            try:  # a new container under the same name is the one to watch
                info = source.find(attached.name)
            except NoSuchContainer:
                info = None
        except DockerError as error:
            note, info = str(error), attached
        finally:
            source.close()
        self.post_message(ContainerSeen(info, note))

    @on(ContainerSeen)
    def _container_seen(self, message: ContainerSeen) -> None:
        if self._console_closing():
            return
        header = self.query_one(ServerHeader)
        now = datetime.now(UTC)
        if message.info is None:
            header.container = message.note
            return
        self.container = message.info
        header.container = container_line(message.info, message.note, now)
        logs = self.query_one(LogsPane)
        started = message.info.started_at.isoformat() if message.info.started_at else None
        if logs.has_class("-shown") and message.info.running and self._following != started:
            self._follow(message.info)

    def action_toggle_polling(self) -> None:
        """Shows or hides the access-log lines of polls (/metrics, /health ...) in the log."""
        logs = self.query_one(LogsPane)
        logs.toggle_polling()
        self.notify("polling lines shown" if logs.show_polling else "polling lines hidden")

    def action_toggle_logs(self) -> None:
        """Shows or hides the container's log."""
        logs = self.query_one(LogsPane)
        logs.toggle_class("-shown")
        if logs.has_class("-shown") and self.container is None:
            self.notify("no container known: attach by container name to see its log")
        elif logs.has_class("-shown") and self.container is not None and self._following is None:
            self._follow(self.container)

    def _follow(self, info: ContainerInfo) -> None:
        self.stop_container_watch()  # one stream at a time
        started = info.started_at.isoformat() if info.started_at else None
        self._following = started
        self.query_one(LogsPane).clear_lines()
        self._follow_logs(info, started)

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def _follow_logs(self, info: ContainerInfo, started: str | None) -> None:
        worker = get_current_worker()
        source = DockerSource(timeout_s=10.0)
        try:
            follow = source.follow_logs(info, tail=LOG_TAIL)
            self._log_follow = follow
            if worker.is_cancelled or self._exit:
                follow.close()
            for line in follow:
                if worker.is_cancelled:
                    follow.close()
                    break
                self.post_message(LogLines([line], started))
        except DockerError as error:
            self.post_message(LogLines([f"(the log stopped: {error})"], started))
        finally:
            source.close()

    @on(LogLines)
    def _log_lines(self, message: LogLines) -> None:
        if message.started_at == self._following and self.query(LogsPane):
            self.query_one(LogsPane).add_lines(message.lines)
