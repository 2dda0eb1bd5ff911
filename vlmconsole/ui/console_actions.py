"""The console's key and palette actions: what a person can ask for.

A base class of the app: it declares the state the actions read and write;
VlmConsoleApp (ui/app.py) holds that state and the workers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.session import PolicyError, WindowPolicy
from vlmconsole.model.turn_record import CANCELLED, TurnRecord
from vlmconsole.sources.image_folder import ImageFolder
from vlmconsole.sources.screenshots import ImageAsset
from vlmconsole.ui.console_config import ConsoleConfig

if TYPE_CHECKING:
    from vlmconsole.sources.turn_engine import TurnEngine
from vlmconsole.ui.screens.help_screen import HelpScreen
from vlmconsole.ui.screens.settings_screen import SettingsScreen
from vlmconsole.ui.widgets.chat_log import ChatLog
from vlmconsole.ui.widgets.push_bar import PushBar
from vlmconsole.ui.widgets.run_bar import RunBar


class ConsoleActions(App[None]):
    """Actions bound to keys and offered in the command palette."""

    config: ConsoleConfig
    info: ServerInfo | None
    settings: RunSettings | None
    engine: TurnEngine | None
    records: list[TurnRecord]
    last_asset: ImageAsset | None
    watching: bool
    turn_busy: bool
    folder: ImageFolder | None
    _theme_names: list[str]

    def _send(self, asset: ImageAsset | None, text: str, path: Path | None) -> None:
        raise NotImplementedError  # the app sends

    def _push_path(self, path: Path, text: str) -> None:
        raise NotImplementedError  # the app sends

    def action_push(self) -> None:
        """Focuses the push bar."""
        self.query_one(PushBar).focus()

    def action_cancel_turn(self) -> None:
        """Ends the turn in flight now; it is journaled as cancelled."""
        if self.engine is not None and self.engine.abort("cancelled by the user", CANCELLED):
            self.notify("turn cancelled")
        else:
            self.notify("no turn in flight", severity="warning")

    def action_leave_input(self) -> None:
        """Leaves the push bar so single keys work again."""
        self.set_focus(None)

    def action_next_image(self) -> None:
        """Pushes the next screenshot of the images folder."""
        if self.folder is None:
            self.notify("no images folder: start with --images DIR", severity="warning")
            return
        path = self.folder.next_image()
        if path is None:
            self.notify(f"no more images in {self.folder.folder}")
            return
        self._push_path(path, self.config.text)

    def action_resend(self) -> None:
        """Sends the last screenshot again, byte for byte."""
        if self.last_asset is None:
            self.notify("nothing sent yet", severity="warning")
            return
        self._send(self.last_asset, self.config.text, None)

    def action_watch(self) -> None:
        """Starts or stops pushing every new screenshot that lands in the images folder."""
        if self.folder is None:
            self.notify("no images folder to watch: start with --images DIR", severity="warning")
            return
        self.watching = not self.watching
        state = "watching" if self.watching else "stopped watching"
        self.notify(f"{state} {self.folder.folder}")

    async def action_new_conversation(self) -> None:
        """Starts a new conversation: the next turn carries none of the earlier ones."""
        if self.turn_busy:
            self.notify("a turn is in flight: wait for its receipt", severity="warning")
            return
        if self.engine is None:
            self.notify("not connected yet", severity="warning")
            return
        self.engine.new_conversation()
        after = len(self.records)
        await self.query_one(ChatLog).add_divider(
            f"── new conversation after turn {after}: the server sees none of the turns above ──"
        )
        self.notify("new conversation: the next turn starts from the system prompt alone")

    def action_toggle_breakdown(self) -> None:
        """Shows or hides where each turn's TTFT went."""
        chat = self.query_one(ChatLog)
        chat.show_breakdown = not chat.show_breakdown

    def action_help(self) -> None:
        """Opens the help screen."""
        self.push_screen(HelpScreen())

    def action_cycle_theme(self) -> None:
        """Switches to the next theme."""
        names = [n for n in self._theme_names if n in self.available_themes]
        if names:
            index = names.index(self.theme) + 1 if self.theme in names else 0
            self.theme = names[index % len(names)]
            self.notify(f"theme {self.theme}")

    def action_settings(self) -> None:
        """Opens the settings screen for the next turns."""
        if self.settings is None or self.info is None:
            self.notify("not connected yet", severity="warning")
            return
        models = [card.id for card in self.info.models]
        self.push_screen(SettingsScreen(self.settings, models), self._apply_settings)

    def _apply_settings(self, new: RunSettings | None) -> None:
        if new is None or self.engine is None or self.settings is None:
            return
        old = self.settings
        self.engine.configure(model=new.model, policy=new.policy, max_tokens=new.max_tokens)
        self.settings = new
        self.query_one(RunBar).settings = new
        if new.transport != old.transport:
            self._swap_transport(new.transport)

    def action_set_policy(self, text: str) -> None:
        """Applies a window policy from the next turn on."""
        if self.settings is None:
            self.notify("not connected yet", severity="warning")
            return
        try:
            policy = WindowPolicy.parse(text)
        except PolicyError as error:
            self.notify(str(error), severity="error")
            return
        self._apply_settings(
            RunSettings(
                self.settings.model, policy, self.settings.transport, self.settings.max_tokens
            )
        )
        self.notify(f"window policy {policy} from the next turn on")

    def action_set_transport(self, name: str) -> None:
        """Sends images another way from the next turn on."""
        if self.settings is None:
            self.notify("not connected yet", severity="warning")
            return
        self._apply_settings(
            RunSettings(self.settings.model, self.settings.policy, name, self.settings.max_tokens)
        )

    @work(exclusive=True, group="settings", exit_on_error=False)
    async def _swap_transport(self, name: str) -> None:
        from vlmconsole.sources.image_transport import TransportError, make_transport

        if self.engine is None:
            return
        try:
            await self.engine.swap_transport(make_transport(name, self.config.session_dir))
        except TransportError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(f"transport {name} from the next turn on")

    def action_export(self) -> None:
        """Writes the session's CSV, JSON Lines and HTML report."""
        if not self.records:
            self.notify("no turn to export yet", severity="warning")
            return
        self._export(tuple(self.records))

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, records: tuple[TurnRecord, ...]) -> None:
        from vlmconsole.export import export_all

        info = self.info
        meta = {
            "server": self.config.url,
            "vLLM": (info.version if info else None) or "not reported",
            "model": self.settings.model if self.settings else "?",
            "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        written = export_all(records, self.config.session_dir, "vlmconsole session", meta)
        paths = ", ".join(str(p) for p in written.values())
        self.call_from_thread(self.notify, f"exported {len(records)} turns: {paths}", timeout=10)
