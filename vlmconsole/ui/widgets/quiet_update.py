"""Updating a Static only when its content changed: a scrape a second must not relayout."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def update_if_changed(widget: Static, content: Text, layout: bool = True) -> None:
    """Shows `content` unless it is already shown (an idle server's values rarely change).

    A repaint without a layout pass (`layout=False`) left stale frames in the
    screenshots, so the layout pass stays on by default.
    """
    if getattr(widget, "_shown_content", None) == content:
        return
    widget._shown_content = content  # type: ignore[attr-defined]
    widget.update(content, layout=layout)
