"""The flags every command that talks to a server shares, and a failure's lines on stderr.

A setting's flag has no argparse default (None: not given), so the file and the
environment can set it (vlmconsole/settings.py); its help says `%(default)s`, which
`SettingsHelpFormatter` (arg_types.py) fills from the schema.
"""

from __future__ import annotations

import argparse
import sys

from vlmconsole.commands.arg_types import positive_seconds
from vlmconsole.model.outside_text import error_line

KEY_HELP = "bearer token (default: VLMCONSOLE_API_KEY, VLLM_API_KEY, OPENAI_API_KEY)"
"""The variables are settings.KEY_VARIABLES (a test keeps them the same)."""


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds --api-key and --timeout, the settings every command that talks to a server reads."""
    parser.add_argument("--api-key", help=KEY_HELP)
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="S",
        help="seconds per HTTP answer (default %(default)s)",
    )


def print_error(error: Exception) -> None:
    """Prints `vlmconsole: ...` on stderr for each problem in `error` (settings have several)."""
    from vlmconsole.settings import SettingsError

    problems = error.problems if isinstance(error, SettingsError) else (error,)
    for problem in problems:
        print(error_line(problem), file=sys.stderr)
