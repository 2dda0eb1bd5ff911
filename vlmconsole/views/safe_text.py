"""Text from outside (model names, labels, log lines, replies) shown as plain text.

Such text is data, never markup: it becomes a rich `Text` (so `[bold]` shows
literally) with terminal control characters removed (so an escape sequence
cannot reach the terminal).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from vlmconsole.model.outside_text import clean

strip_control = clean
"""The one filter for outside text (`vlmconsole.model.outside_text.clean`)."""


def plain(text: object, style: str | Style = "") -> Text:
    """Returns outside text as a rich Text that no markup or escape sequence can restyle."""
    return Text(clean(text), style=style)
