"""Updating a Static only when its content changed: a scrape a second must not relayout."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


def update_if_changed(widget: Static, content: Text, sized_by_content: bool = True) -> None:
    """Shows `content` unless it is already shown (an idle server's values rarely change).

    A layout pass (the costly part of a frame) runs only when the widget's size
    follows its content (`sized_by_content`, as with `width: auto` or `height: auto`)
    and the content's shape, its lines' widths, changed.
    """
    if getattr(widget, "_shown_content", None) == content:
        return
    shape = tuple(cell_len(line) for line in content.plain.split("\n"))
    layout = sized_by_content and shape != getattr(widget, "_shown_shape", None)
    widget._shown_content = content  # type: ignore[attr-defined]
    widget._shown_shape = shape  # type: ignore[attr-defined]
    widget.update(content, layout=layout)
