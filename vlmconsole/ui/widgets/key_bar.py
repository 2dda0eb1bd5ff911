"""The console's keys on its bottom line, drawn by one widget: `q quit  ? help  p push ...`.

Textual's Footer is a widget per key, and recomposes them whenever the bindings change
(twice a turn: `x` can cancel, then cannot), each new key widget styled anew and the old
ones kept alive by the footer's watchers (~0.5 MB a turn). Sixteen keys were sixteen
nodes to style before the first frame. This bar draws the same keys, in the same
colours, as one line: a change of bindings repaints it.

- The keys come from the screen's active bindings (the console's command table);
  a key that cannot run yet is dimmed, and pressing or clicking it says why.
- The keys that fit are shown whole, in order; the palette's key sits on the right.
- Hovering a key shows its line of help; clicking it presses the key.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

from vlmconsole.views.safe_text import strip_control


class BarKey(NamedTuple):
    """One key as the bar shows it."""

    key: str
    """Textual's key name, pressed on a click."""
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeySpan(NamedTuple):
    """Where a key was drawn on the line: cells [start, end)."""

    start: int
    end: int
    key: BarKey


PALETTE_SEPARATOR = "▏"


class KeyBar(Widget, can_focus=False):
    """The screen's shown bindings on one line, the command palette's on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
        "key-bar--separator",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--hover {
            background: $block-hover-background;
        }
        & > .key-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._spans: list[KeySpan] = []
        self._hover: str | None = None
        """The key under the mouse, if any."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.refresh()

    # --- what is shown ------------------------------------------------------------------

    def keys(self) -> tuple[list[BarKey], BarKey | None]:
        """Returns the shown keys in order (one per action), and the palette's key."""
        shown: list[BarKey] = []
        actions: set[str] = set()
        palette: BarKey | None = None
        palette_key = self.app.COMMAND_PALETTE_BINDING
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            bar_key = BarKey(
                key,
                strip_control(self.app.get_key_display(binding)),
                strip_control(binding.description),
                active.enabled,
                strip_control(active.tooltip or binding.tooltip or ""),
            )
            if key == palette_key and self.app.ENABLE_COMMAND_PALETTE:
                palette = bar_key
            elif binding.show and binding.action not in actions:
                actions.add(binding.action)
                shown.append(bar_key)
        return shown, palette

    def render(self) -> Text:
        """Returns the line: the keys that fit whole, then the palette's key at the right."""
        width = self.size.width
        shown, palette = self.keys()
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[KeySpan] = []
        right = width
        palette_text = ""
        if palette is not None:
            palette_text = f"{palette.display} {palette.description}"
            right = max(0, width - cell_len(palette_text) - 1)
        for bar_key in shown:
            text = f"{bar_key.display} {bar_key.description}"
            start = line.cell_len
            if start + cell_len(text) > right:
                break
            self._append_key(line, bar_key, start)
            spans.append(KeySpan(start, line.cell_len, bar_key))
            line.append(" ")
        if palette is not None and right > 0:
            line.append(" " * (right - line.cell_len))
            separator = self.get_component_rich_style("key-bar--separator", partial=True)
            line.append(PALETTE_SEPARATOR, separator)
            start = line.cell_len
            self._append_key(line, palette, start)
            spans.append(KeySpan(start, line.cell_len, palette))
        self._spans = spans
        return line

    def _append_key(self, line: Text, bar_key: BarKey, start: int) -> None:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        description_style = self.get_component_rich_style("key-bar--description", partial=True)
        if bar_key.key == self._hover:
            hover = self.get_component_rich_style("key-bar--hover", partial=True)
            key_style, description_style = key_style + hover, description_style + hover
        if not bar_key.enabled:
            key_style, description_style = key_style + DIM, description_style + DIM
        line.append(bar_key.display, key_style)
        line.append(f" {bar_key.description}", description_style)

    # --- the mouse ----------------------------------------------------------------------

    def key_at(self, x: int) -> BarKey | None:
        """Returns the key drawn at cell `x`, if any."""
        for span in self._spans:
            if span.start <= x < span.end:
                return span.key
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        under = self.key_at(event.x)
        hover = under.key if under is not None else None
        if hover != self._hover:
            self._hover = hover
            self.tooltip = (under.tooltip or under.description) if under is not None else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Presses the key clicked (one that cannot run yet says why, as its key does)."""
        under = self.key_at(event.x)
        if under is not None:
            self.app.simulate_key(under.key)


DIM = Style(dim=True)
"""A key that cannot run yet (Textual's footer dims it the same way)."""
