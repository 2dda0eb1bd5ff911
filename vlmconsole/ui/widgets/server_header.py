"""The header: which server, what it is, and whether the console still hears it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from vlmconsole.model.connection import Connection, Link
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.server_info import ServerInfo


class ServerHeader(Widget):
    """URL, vLLM version, model and max context, health, container, connection state."""

    COMPONENT_CLASSES = {"server-header--live", "server-header--lost", "server-header--waiting"}
    DEFAULT_CSS = """
    ServerHeader { height: 2; background: $panel; color: $foreground; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ServerHeader.-lost { background: $error 20%; }
    ServerHeader > .server-header--live { color: $connection-live; text-style: bold; }
    ServerHeader > .server-header--lost { color: $connection-lost; text-style: bold; }
    ServerHeader > .server-header--waiting { color: $warning; }
    """

    # Set every second or every scrape, mostly to what they were: the header repaints
    # only when the words it shows change (an idle console must cost next to nothing).
    url: reactive[str] = reactive("", repaint=False)
    info: reactive[ServerInfo | None] = reactive(None, repaint=False)
    connection: reactive[Connection] = reactive(Connection, repaint=False)
    now_s: reactive[float] = reactive(0.0, repaint=False)
    uptime_s: reactive[float | None] = reactive(None, repaint=False)
    """How long the server process had run at the last scrape (None: not reported)."""
    container: reactive[str | None] = reactive(None, repaint=False)
    """"name · image:tag · state · up 3 h", when the server runs in a known container."""

    _shown: str | None = None
    """The words last rendered."""

    def watch_connection(self, connection: Connection) -> None:
        self.set_class(connection.link in (Link.LOST, Link.BROKEN), "-lost")
        self._refresh_if_changed()

    def on_mount(self) -> None:
        for name in ("url", "info", "now_s", "uptime_s", "container"):
            self.watch(self, name, self._refresh_if_changed, init=False)

    def _refresh_if_changed(self) -> None:
        if self.is_mounted and self.header_text().plain != self._shown:
            self.refresh()

    def render(self) -> Text:
        """Returns the two header lines."""
        text = self.header_text()
        self._shown = text.plain
        return text

    def header_text(self) -> Text:
        """Returns the two header lines as they are now."""
        info = self.info
        line = Text()
        line.append("vlmconsole ", style="bold")
        line.append_text(plain(self.url))
        if info is not None:
            line.append("  vLLM ")
            line.append_text(plain(info.version or fmt.NOT_REPORTED))
            for card in info.models[:1]:
                line.append("  model ")
                line.append_text(plain(card.id, "bold"))
                if card.max_model_len:
                    line.append(f"  max context {card.max_model_len:,}")
            more = len(info.models) - 1
            if more > 0:
                line.append(f" (+{more} more)")
        line.append("\n")
        connection = self.connection
        age = connection.age_s(self.now_s)
        if connection.link is Link.LIVE and info is not None:
            health = "healthy" if info.healthy else info.health_detail
            line.append("● live", style=self.get_component_rich_style("server-header--live"))
            line.append(f"  {health}")
            if info.load is not None:
                line.append(f"  load {info.load}")
            if self.uptime_s is not None:
                line.append(f"  up {fmt.uptime(self.uptime_s)}")
        elif connection.link in (Link.LOST, Link.BROKEN):
            broken = connection.link is Link.BROKEN
            state = "server answers, but: " if broken else "connection lost"
            line.append(f"● {state}", self.get_component_rich_style("server-header--lost"))
            if broken:  # what is wrong is the news: it comes first
                line.append_text(plain(connection.error or ""))
            # then the age and the retry; a lost link's error detail can be long: last
            if age is not None:
                line.append(f"  data {fmt.uptime(age) if age >= 1 else fmt.seconds(age)} old")
            if connection.retry_at_s is not None:
                line.append(f"  retry in {max(0.0, connection.retry_at_s - self.now_s):.0f} s")
            if not broken:
                line.append_text(plain(f"  {connection.error or ''}"))
        else:
            line.append("○ connecting", self.get_component_rich_style("server-header--waiting"))
            if connection.error:
                line.append_text(plain(f"  {connection.error}"))
        if self.container:
            line.append("  container ")
            line.append_text(plain(self.container))
        line.no_wrap = True  # each line cropped: the connection state always shows
        line.overflow = "ellipsis"
        return line
