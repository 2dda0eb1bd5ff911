"""Updating a Static only when its content changed: a scrape a second must not relayout."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def update_if_changed(widget: Static, content: Text, layout: bool = False) -> None:
    """Shows `content` unless it is already shown; repaints without a layout pass
    unless asked (for cells whose size does not depend on their content)."""
    if getattr(widget, "_shown_content", None) == content:
        return
    widget._shown_content = content  # type: ignore[attr-defined]
    widget.update(content, layout=layout)
