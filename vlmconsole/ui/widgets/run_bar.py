"""One line under the chat: the run's settings and where the session is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.run_settings import RunSettings


class RunBar(Widget):
    """Model, window policy, transport, max tokens, turn count, session folder."""

    DEFAULT_CSS = """
    RunBar { height: 1; background: $panel; color: $text-muted; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    """

    settings: reactive[RunSettings | None] = reactive(None)
    turns: reactive[int] = reactive(0)
    busy: reactive[bool] = reactive(False)
    session_dir: reactive[str] = reactive("")
    """The session folder's name (its full path is in the help screen and export notes)."""

    def render(self) -> Text:
        """Returns the line."""
        line = Text()
        if self.settings is None:
            line.append("model not known yet · ")
        else:
            line.append_text(plain(self.settings.model))
            line.append(f" · {self.settings.describe()} · ")
        line.append(f"{self.turns} turns")
        if self.busy:
            line.append(" · sending…", style="bold")
        if self.session_dir:
            line.append(" · session ")
            line.append_text(plain(self.session_dir))
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line
