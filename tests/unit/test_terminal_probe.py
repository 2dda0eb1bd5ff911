"""Previews inside tmux or screen are chosen without asking the terminal (the question
would become the window title)."""

from __future__ import annotations

import pytest

from vlmconsole.ui.terminal_probe import choose_preview, in_kitty, inside_multiplexer


@pytest.mark.parametrize(
    ("env", "inside"),
    [
        ({"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "xterm-256color"}, True),
        ({"STY": "123.pts-0", "TERM": "xterm"}, True),
        ({"TERM": "screen-256color"}, True),
        ({"TERM": "tmux-256color"}, True),
        ({"TERM": "xterm-kitty"}, False),
        ({}, False),
    ],
)
def test_multiplexers_are_recognised(env: dict[str, str], inside: bool) -> None:
    assert inside_multiplexer(env) is inside


def test_only_kitty_itself_is_asked_the_kitty_question() -> None:
    assert in_kitty({"KITTY_WINDOW_ID": "1", "TERM": "xterm-kitty"})
    assert not in_kitty({"KITTY_WINDOW_ID": "1", "TMUX": "x"}), "through tmux: no"
    assert not in_kitty({"TERM": "xterm-256color"})


def test_without_a_terminal_auto_previews_are_half_cells() -> None:
    # pytest's stdout is no terminal: nothing is asked, half cells are drawn
    assert choose_preview("auto", {"KITTY_WINDOW_ID": "1"}) == "halfcell"
    assert choose_preview("none", {}) == "none"
    assert choose_preview("halfcell", {}) == "halfcell"
