"""Choosing how previews are drawn, without leaving marks on the user's terminal.

textual-image asks the terminal what it can draw when its renderables are first
imported: a Sixel query (DA1, harmless) and a Kitty graphics query, an APC sequence
that terminals without that protocol may show, or (tmux, GNU screen) take as the
window title: `Gi=...,a=q,t=d,f=24;AAAA`, left there after quitting. Its Kitty drawing
works only in Kitty anyway (its own notes: Konsole and WezTerm answer the query but
do not draw its placeholders). And the terminal can only be asked before the app
starts: once Textual runs, its input thread takes the answers.

So `choose_preview` (before the app runs) asks what is safe itself, with
textual-image's light terminal module only: the cell size, the Kitty query only in
Kitty outside a multiplexer, the Sixel query everywhere. textual-image's renderables
and widgets (PIL, numpy: ~130 ms) are imported by `preview_widgets` when the first
preview is drawn, with stdout looking like no terminal, so that they ask nothing then.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import ModuleType
from typing import TextIO

PREVIEWS = ("auto", "tgp", "sixel", "halfcell", "none")
"""Preview modes: `auto` is resolved by `choose_preview` into one of the others."""

ANSWER_TIMEOUT_S = 0.1
"""How long a terminal has to answer a query (textual-image waits as long)."""


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


def _import_quietly(module: str) -> ModuleType:
    """Imports a textual-image module with stdout looking like no terminal."""
    import importlib

    real = sys.__stdout__
    if real is not None:
        setattr(sys, "__stdout__", _NotATerminal(real))  # noqa: B010 (a final name to mypy)
    try:
        return importlib.import_module(module)  # asks nothing: not a terminal
    finally:
        if real is not None:
            setattr(sys, "__stdout__", real)  # noqa: B010


def preview_widgets() -> ModuleType:
    """Returns textual-image's widget module (HalfcellImage, SixelImage, TGPImage).

    Imported on first use, quietly: the cell size it needs was read by
    `choose_preview` before the app started.
    """
    return _import_quietly("textual_image.widget")


def _sixel_answers() -> bool:
    """Asks the terminal for its attributes (DA1); True when they include Sixel (4).

    The question textual_image.renderable.sixel.query_terminal_support asks, without
    importing its renderables."""
    from textual_image._terminal import TerminalError, capture_terminal_response

    out = sys.__stdout__
    if out is None:
        return False
    try:
        with capture_terminal_response("\x1b[?", "c", ANSWER_TIMEOUT_S) as response:
            out.write("\x1b[c")
            out.flush()
    except (TerminalError, TimeoutError, OSError):
        return False
    return "4" in response.sequence[len("\x1b[?") : -len("c")].split(";")


def _kitty_answers() -> bool:
    """Asks Kitty whether it draws the terminal graphics protocol (only ever in Kitty)."""
    tgp = _import_quietly("textual_image.renderable.tgp")
    answered: bool = tgp.query_terminal_support()
    return answered


def choose_preview(preview: str, env: Mapping[str, str]) -> str:
    """Asks the terminal what it needs to (before the app runs); returns the preview mode.

    `auto` becomes `tgp` in Kitty when it answers the Kitty query, else `sixel` when the
    terminal answers the Sixel query, else `halfcell`. Other modes stay as they are.
    """
    if preview == "none":
        return preview
    from textual_image._terminal import get_cell_size

    chosen = preview
    if preview == "auto":
        out = sys.__stdout__
        terminal = out is not None and out.isatty()
        if terminal and in_kitty(env) and _kitty_answers():
            chosen = "tgp"
        elif terminal and _sixel_answers():
            chosen = "sixel"
        else:
            chosen = "halfcell"
    get_cell_size()  # read (and kept by textual-image) while the terminal can be asked
    return chosen
