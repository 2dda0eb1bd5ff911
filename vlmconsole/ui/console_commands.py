"""The console's commands, in one table: keys, the command palette and the help screen.

Each command names the app action it runs, its key (if it has one), a title and one
line of help in the user's words, the group it is listed under, and what it needs
before it can run. The app's bindings, the palette's entries and the help screen's
keys are all made from this table, so they cannot disagree; the app's `check_action`
dims what is not available yet, and a key pressed too early says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Need = Literal["chat", "turn", "folder", "sent"]
"""What a command waits for: the chat client (the server's models known), a turn in
flight, a screenshot folder (--images), a screenshot already sent."""

WHY_NOT: dict[Need, str] = {
    "chat": "not connected yet: waiting for the server's models",
    "turn": "no turn in flight",
    "folder": "no screenshot folder: start the console with --images DIR",
    "sent": "nothing sent yet: push a screenshot first (p or n)",
}
"""What the console says when a command's need is not met."""

GROUPS: tuple[str, ...] = (
    "Push screenshots",
    "Read the turns",
    "Next turns",
    "The server",
    "The console",
)
"""The help screen's groups, in order."""


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    """One thing a person can ask the console for."""

    action: str
    """The app action it runs, with its arguments: `set_policy('none')`."""
    title: str
    """Its name in the palette and the footer."""
    help: str
    """One line in the user's words: what it does."""
    group: str
    key: str | None = None
    """Textual's key name (`question_mark`); None for palette-only commands."""
    show: bool = True
    """In the footer (when it has a key)."""
    needs: Need | None = None
    palette: bool = True
    """Offered in the command palette."""
    key_display: str | None = None
    """How the key is written when Textual's name is not what a person types."""

    @property
    def palette_title(self) -> str:
        """Returns its name in the palette: the footer's, capitalised (`Help`, `TTFT ...`)."""
        return self.title[:1].upper() + self.title[1:]

    @property
    def action_name(self) -> str:
        """Returns the action's name without its arguments."""
        return self.action.split("(", 1)[0].removeprefix("app.")


CONSOLE_COMMANDS: tuple[ConsoleCommand, ...] = (
    # Push screenshots
    ConsoleCommand("push", "push", "Type a screenshot path (Tab completes), words after it, Enter",
                   "Push screenshots", "p", needs="chat", palette=False),
    ConsoleCommand("next_image", "next image", "Push the next screenshot of the --images folder",
                   "Push screenshots", "n", needs="folder"),
    ConsoleCommand("resend", "resend", "Send the last screenshot again, byte for byte",
                   "Push screenshots", "r", needs="sent"),
    ConsoleCommand("watch", "watch folder", "Push every new screenshot that lands in the folder",
                   "Push screenshots", "w", needs="folder"),
    ConsoleCommand("cancel_turn", "cancel turn", "End the turn in flight (journaled: cancelled)",
                   "Push screenshots", "x", needs="turn"),
    # Read the turns
    ConsoleCommand("toggle_breakdown", "TTFT breakdown",
                   "Show where each turn's time to first token went", "Read the turns", "b"),
    ConsoleCommand("findings", "findings",
                   "Why TTFT climbs in this conversation, with the numbers, and what to change",
                   "Read the turns", "f"),
    ConsoleCommand("export", "export", "Write the turns as CSV, JSON Lines and an HTML report",
                   "Read the turns", "e"),
    ConsoleCommand("new_conversation", "new chat",
                   "Start over: the next turn carries none of the earlier ones",
                   "Read the turns", "c", needs="chat"),
    # Next turns
    ConsoleCommand("settings", "settings", "Model, window policy, transport and max tokens",
                   "Next turns", "s", needs="chat"),
    ConsoleCommand("set_policy('none')", "Policy: none",
                   "Keep every image: the prefix cache hits it all", "Next turns", needs="chat"),
    ConsoleCommand("set_policy('slide:8')", "Policy: slide:8",
                   "Keep the last 8 images; each turn re-prefills the window", "Next turns",
                   needs="chat"),
    ConsoleCommand("set_policy('chunk:8')", "Policy: chunk:8",
                   "Drop the oldest half when a 9th image comes; cached in between",
                   "Next turns", needs="chat"),
    ConsoleCommand("set_transport('base64')", "Transport: base64",
                   "Send images inline as data URLs", "Next turns", needs="chat"),
    ConsoleCommand("set_transport('url')", "Transport: url",
                   "Serve images on a loopback URL (the server must run on this machine)",
                   "Next turns", needs="chat"),
    ConsoleCommand("set_transport('file')", "Transport: file",
                   "Send file:// paths (the server needs --allowed-local-media-path)",
                   "Next turns", needs="chat"),
    ConsoleCommand("set_transport('uuid')", "Transport: uuid",
                   "Send each image's bytes once, then only its id (vLLM's processor cache)",
                   "Next turns", needs="chat"),
    # The server
    ConsoleCommand("toggle_logs", "logs", "Follow the container's log; type a filter, Enter",
                   "The server", "l"),
    ConsoleCommand("launch", "config",
                   "What the server runs with: context, batch, KV cache, caches, each flag",
                   "The server", "i"),
    ConsoleCommand("toggle_polling", "polls in log",
                   "Show or hide the log's polling lines (GET /metrics, /health ...)",
                   "The server", "h", show=False),
    # The console
    ConsoleCommand("app.cycle_theme", "theme", "Switch to the next colour theme",
                   "The console", "t"),
    ConsoleCommand("app.command_palette", "palette", "Find any command by typing a few letters",
                   "The console", "ctrl+p", show=False, palette=False),
    ConsoleCommand("help", "help", "Every key, the command line and the palette",
                   "The console", "question_mark", key_display="?"),
    ConsoleCommand("leave_input", "leave input", "Leave the push bar: single keys work again",
                   "The console", "escape", show=False, palette=False),
    ConsoleCommand("app.quit", "quit", "Quit (a turn in flight is journaled: abandoned)",
                   "The console", "q", palette=False),
)  # fmt: skip
"""Every console command; the footer shows those with a key, in this order."""


def console_bindings() -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """Returns the app's key bindings, made from CONSOLE_COMMANDS (ctrl+p is Textual's own).

    `q` and `?` come first, so that a footer cut short still shows how to quit and
    where every key is; the others follow the table's order.
    """
    first = [c for c in CONSOLE_COMMANDS if c.action in FOOTER_FIRST]
    first.sort(key=lambda c: FOOTER_FIRST.index(c.action))
    rest = [c for c in CONSOLE_COMMANDS if c.action not in FOOTER_FIRST]
    return [
        Binding(c.key, c.action, c.title, show=c.show, key_display=c.key_display, tooltip=c.help)
        for c in (*first, *rest)
        if c.key is not None and c.key != "ctrl+p"
    ]


FOOTER_FIRST: tuple[str, ...] = ("app.quit", "help")


def command_for(action_name: str) -> ConsoleCommand | None:
    """Returns the command whose action is `action_name` (without arguments), or None."""
    for command in CONSOLE_COMMANDS:
        if command.action_name == action_name:
            return command
    return None


def palette_commands() -> tuple[ConsoleCommand, ...]:
    """Returns the commands the palette offers, in table order."""
    return tuple(c for c in CONSOLE_COMMANDS if c.palette)
