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

from vlmconsole.model.screenshot_formats import IMAGE_SUFFIXES


class PathSuggester(Suggester):
    """Completes the first word of the input as a path: folders and image files."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """Returns the input with its path completed, or None."""
        return await asyncio.to_thread(complete_path, value)


_SPECIAL = frozenset(" \t\n'\"\\")
"""Characters a path must escape to stay one word for `shlex.split`."""


def escape_path(text: str) -> str:
    """Returns `text` with a backslash before each space, quote and backslash."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def first_word(value: str) -> tuple[str, str | None, bool]:
    """Returns the first word of `value` as written: (its path, its quote, whether it ended).

    The word may be quoted (`'a b.png'`, `"a b.png"`) or backslash-escaped
    (`a\\ b.png`), as a shell reads it; the path is what it names. It ended when
    something (a space, the closing quote) follows it.
    """
    quote = value[0] if value[:1] in ("'", '"') else None
    path: list[str] = []
    i = 1 if quote else 0
    while i < len(value):
        char = value[i]
        if quote is not None and char == quote:
            return "".join(path), quote, True
        if quote is None and char.isspace():
            return "".join(path), None, True
        if char == "\\" and quote != "'" and i + 1 < len(value):
            i += 1
            char = value[i]
        path.append(char)
        i += 1
    return "".join(path), quote, False


def complete_path(value: str) -> str | None:
    """Returns `value` with its first word completed as a path (folders and images), or None.

    What is inserted is escaped as the word was written (inside its quotes, or with
    backslashes), so that Enter sends the whole name as one path.
    """
    if not value.strip():
        return None
    typed, quote, ended = first_word(value)
    if ended or not typed:
        return None
    target = Path(typed).expanduser()
    folder, stem = (target, "") if typed.endswith("/") else (target.parent, target.name)
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
    if not names:
        return None
    rest = names[0][len(stem) :]
    if quote is None:
        return value + escape_path(rest)
    if quote == '"':
        inside = rest.replace("\\", "\\\\").replace('"', '\\"')
    else:  # no escape inside single quotes: close, escape the quote, reopen
        inside = rest.replace("'", "'\\''")
    closing = "" if rest.endswith("/") else quote
    return value + inside + closing


@dataclass(frozen=True, slots=True)
class PushRequest:
    """What the user asked to push: a screenshot (or none) and words."""

    path: Path | None
    text: str


def parse_push(value: str) -> PushRequest:
    """Returns the push a line asks for: `PATH [words]`, or just words.

    The first word is a path when it names a file, ends with an image suffix, or
    holds a slash. A path with spaces is quoted (`'a b.png'`) or escaped (`a\\ b.png`),
    as Tab completes it; an unclosed quote still ends at the end of the line.
    """
    try:
        words = shlex.split(value)
    except ValueError:  # an unclosed quote: the first word runs to the end of its quote
        unclosed, _, _ = first_word(value.strip())
        words = [unclosed]
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
        # Pushed: single keys (n, p, r...) work again, as before the bar was opened.
        self.screen.set_focus(None)
