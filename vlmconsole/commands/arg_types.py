"""Argument types: every flag is checked while the command line is parsed.

A bad value ends the command before any output or file is made, with one line
naming the flag and what it accepts, and exit code 2 (`OneLineParser`).
"""

from __future__ import annotations

import argparse
import math
import string
from typing import Any, NoReturn

MAX_IMAGE_SIDE = 16384
"""The largest synthetic screenshot side (vLLM's processors refuse far less)."""


class SettingsHelpFormatter(argparse.HelpFormatter):
    """Help in which a setting's `%(default)s` is the schema's default (vlmconsole/settings.py).

    A setting's flag has no argparse default (None: not given, so the file and the
    environment count). The schema is read only when help is shown: building the
    parser, as every command does, stays light.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if text and action.default is None and "%(default)s" in text:
            from vlmconsole.settings import default_for_flag

            shown = default_for_flag(action.option_strings)
            if shown is not None:
                text = text.replace("%(default)s", shown.replace("%", "%%"))
        return text


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2, no usage block.

    Its help shows settings' defaults from the schema (`SettingsHelpFormatter`); the
    parsers of subcommands are OneLineParsers too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", SettingsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Prints `PROG: MESSAGE (see PROG --help)` and exits with 2."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    """Returns a whole number of 1 or more."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def non_negative_int(text: str) -> int:
    """Returns a whole number of 0 or more."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def positive_number(text: str) -> float:
    """Returns a number above 0."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def positive_seconds(text: str) -> float:
    """Returns a number of seconds above 0."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 s, not {text}")
    return value


def non_negative_seconds(text: str) -> float:
    """Returns a number of seconds of 0 or more."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 s or more, not {text}")
    return value


def port_or_zero(text: str) -> int:
    """Returns a TCP port, 1 to 65535, or 0 for any free one."""
    value = int(_number(text, int))
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port from 1 to 65535 (0: any free), not {value}"
        )
    return value


def image_size(text: str) -> tuple[int, int]:
    """Returns (width, height) from `WxH`, each side from 1 to MAX_IMAGE_SIDE pixels."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: use WxH, such as 1280x720")
    size = int(width), int(height)
    if not all(1 <= side <= MAX_IMAGE_SIDE for side in size):
        raise argparse.ArgumentTypeError(
            f"{text!r}: each side must be 1 to {MAX_IMAGE_SIDE} pixels"
        )
    return size


def turn_text(text: str) -> str:
    """Returns words to send with each screenshot; `{turn}` is the only placeholder."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r}: {error} (write {{{{ and }}}} for literal braces)"
        ) from None
    unknown = sorted({name for name in fields if name != "turn"})
    if unknown:
        shown = ", ".join("{" + name + "}" for name in unknown)
        raise argparse.ArgumentTypeError(
            f"{text!r}: {shown} is not a placeholder; {{turn}} is the only one "
            "(write {{ and }} for literal braces)"
        )
    return text
