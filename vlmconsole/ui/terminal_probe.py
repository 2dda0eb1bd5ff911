"""Choosing how previews are drawn, without leaving marks on the user's terminal.

textual-image asks the terminal what it can draw when its renderables are first
imported (which must happen before the app starts): a Sixel query (DA1, harmless) and
a Kitty graphics query, an APC sequence that terminals without that protocol may
show, or (tmux, GNU screen) take as the window title: `Gi=...,a=q,t=d,f=24;AAAA`,
left there after quitting. Its Kitty drawing works only in Kitty anyway (its own
notes: Konsole and WezTerm answer the query but do not draw its placeholders). So the
console imports textual-image without letting it ask, then asks what is safe itself:
the Kitty query only in Kitty, outside a multiplexer; the Sixel query everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

PREVIEWS = ("auto", "tgp", "sixel", "halfcell", "none")
"""Preview modes: `auto` is resolved by `choose_preview` into one of the others."""


def inside_multiplexer(env: Mapping[str, str]) -> bool:
    """Returns True inside tmux or GNU screen."""
    term = env.get("TERM", "")
    return bool(env.get("TMUX") or env.get("STY")) or term.startswith(("screen", "tmux"))


def in_kitty(env: Mapping[str, str]) -> bool:
    """Returns True in Kitty itself (not through a multiplexer)."""
    kitty = bool(env.get("KITTY_WINDOW_ID")) or env.get("TERM") == "xterm-kitty"
    return kitty and not inside_multiplexer(env)


class _NotATerminal:
    """Stands in for stdout while textual-image is imported, so that it asks nothing."""

    def __init__(self, real: TextIO) -> None:
        self._real = real

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def _import_quietly() -> None:
    """Imports textual-image's renderables with stdout looking like no terminal."""
    real = sys.__stdout__
    if real is not None:
        setattr(sys, "__stdout__", _NotATerminal(real))  # noqa: B010 (a final name to mypy)
    try:
        import textual_image.renderable  # noqa: F401  (asks nothing: not a terminal)
    finally:
        if real is not None:
            setattr(sys, "__stdout__", real)  # noqa: B010


def choose_preview(preview: str, env: Mapping[str, str]) -> str:
    """Prepares textual-image (before the app runs) and returns the preview mode to use.

    `auto` becomes `tgp` in Kitty when it answers the Kitty query, else `sixel` when the
    terminal answers the Sixel query, else `halfcell`. Other modes stay as they are.
    """
    if preview == "none":
        return preview
    _import_quietly()
    from textual_image.renderable import sixel, tgp

    chosen = preview
    if preview == "auto":
        out = sys.__stdout__
        terminal = out is not None and out.isatty()
        if terminal and in_kitty(env) and tgp.query_terminal_support():
            chosen = "tgp"
        elif terminal and sixel.query_terminal_support():
            chosen = "sixel"
        else:
            chosen = "halfcell"
    import textual_image.widget  # noqa: F401  (reads the cell size while it still can)

    return chosen
