"""The real console in a real terminal: a tmux session driven with keys, its screen read back."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable

import pytest


def tmux(*args: str) -> str:
    """Runs `tmux ARGS`; returns what it printed."""
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30)
    return done.stdout


class TmuxSession:
    """One detached tmux session running one command at a fixed size."""

    def __init__(self, name: str) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is needed: apt-get install tmux")
        self.name = name

    def start(self, command: str, size: tuple[int, int] = (160, 50)) -> None:
        """Starts `command` (a shell line) in a fresh session of `size` columns x rows."""
        tmux("kill-session", "-t", self.name)
        tmux("new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), command)

    def screen(self, colours: bool = False) -> str:
        """Returns the visible screen as text (with its colour escapes when `colours`)."""
        return tmux("capture-pane", "-p", *(["-e"] if colours else []), "-t", self.name)

    def press(self, *keys: str) -> None:
        """Sends key presses, as a person types them."""
        tmux("send-keys", "-t", self.name, *keys)

    def title(self) -> str:
        """Returns the pane's title (what escape sequences may have set)."""
        return tmux("display", "-p", "-t", self.name, "#{pane_title}").strip()

    def alive(self) -> bool:
        """Returns True while the command in the session is still running."""
        return tmux("list-panes", "-t", self.name, "-F", "#{pane_dead}").strip() == "0"

    def wait_for(self, what: str, check: Callable[[str], bool], timeout_s: float) -> str:
        """Polls the screen until `check(screen)` holds; fails showing the screen."""
        deadline = time.monotonic() + timeout_s
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if check(shown):
                return shown
            time.sleep(0.2)
        pytest.fail(f"{what}: not on screen within {timeout_s:.0f} s; the screen:\n{shown}")

    def close(self) -> None:
        """Quits the console with `q`, then ends the session."""
        self.press("q")
        time.sleep(1)
        tmux("kill-session", "-t", self.name)
