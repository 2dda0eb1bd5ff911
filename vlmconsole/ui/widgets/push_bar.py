"""The push bar: a screenshot path (Tab completes it) and, after it, optional words."""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from vlmconsole.sources.images import IMAGE_SUFFIXES


class PathSuggester(Suggester):
    """Completes the first word of the input as a path: folders and image files."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """Returns the input with its path completed, or None."""
        if not value or " " in value.strip():
            return None
        return await asyncio.to_thread(complete_path, value)


def complete_path(value: str) -> str | None:
    """Returns `value` with its last path part completed (folders and images), or None."""
    typed = Path(value).expanduser()
    folder, stem = (typed, "") if value.endswith("/") else (typed.parent, typed.name)
    try:
        names = sorted(
            entry.name + ("/" if entry.is_dir() else "")
            for entry in folder.iterdir()
            if entry.name.startswith(stem)
            and not entry.name.startswith(".")
            and (entry.is_dir() or entry.suffix.lower() in IMAGE_SUFFIXES)
        )
    except OSError:
        return None
    return value + names[0][len(stem) :] if names else None


@dataclass(frozen=True, slots=True)
class PushRequest:
    """What the user asked to push: a screenshot (or none) and words."""

    path: Path | None
    text: str


def parse_push(value: str) -> PushRequest:
    """Returns the push a line asks for: `PATH [words]`, or just words.

    The first word is a path when it names a file, ends with an image suffix, or
    holds a slash; quote paths with spaces.
    """
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if not words:
        return PushRequest(None, "")
    first = words[0]
    looks_like_path = "/" in first or first.lower().endswith(IMAGE_SUFFIXES)
    path = Path(first).expanduser()
    if looks_like_path or path.is_file():
        return PushRequest(path, " ".join(words[1:]))
    return PushRequest(None, value.strip())


class PushBar(Input):
    """Where the user types what to push."""

    BINDINGS = [Binding("tab", "complete", "complete path", show=False)]

    @dataclass
    class Pushed(Message):
        """The user pressed Enter on a push."""

        request: PushRequest

    def __init__(self) -> None:
        super().__init__(
            placeholder="screenshot path [words to send with it]  (Tab completes, Enter pushes)",
            suggester=PathSuggester(),
            id="push-bar",
        )

    def action_complete(self) -> None:
        """Accepts the path suggestion, or moves focus on when there is none."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        request = parse_push(event.value)
        if request.path is None and not request.text:
            return
        self.value = ""
        self.post_message(self.Pushed(request))
