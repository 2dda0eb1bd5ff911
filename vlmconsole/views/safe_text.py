"""Text from outside (model names, labels, log lines, replies) shown as plain text.

Such text is data, never markup: it becomes a rich `Text` (so `[bold]` shows
literally) with terminal control characters removed (so an escape sequence
cannot reach the terminal).
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

# C0 controls except tab and newline, DEL, and C1 controls (which include CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Returns `text` without terminal control characters (tab and newline are kept)."""
    return _CONTROL.sub("", text)


def plain(text: object, style: str | Style = "") -> Text:
    """Returns outside text as a rich Text that no markup or escape sequence can restyle."""
    return Text(strip_control(str(text)), style=style)
