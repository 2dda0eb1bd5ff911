"""Command line: parses arguments and hands them to the command's module.

No logic lives here; each command's module is imported only when that command
runs, so `vlmconsole --help` stays fast and never loads Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vlmconsole import __version__
from vlmconsole.commands.arg_types import OneLineParser

# command name -> (module with `add_arguments(parser)` and `run(args) -> int`, one-line help).
# Command modules import only argparse at the top; the rest is imported inside run().
COMMANDS: dict[str, tuple[str, str]] = {
    "attach": (
        "vlmconsole.commands.attach",
        "open the console on a vLLM server: live metrics, screenshot turns, charts",
    ),
    "demo": (
        "vlmconsole.commands.demo",
        "open the console on the built-in demo server (no GPU, no vLLM needed)",
    ),
    "status": (
        "vlmconsole.commands.status",
        "print what a vLLM server is and what it is doing (--watch, --json)",
    ),
    "bench": (
        "vlmconsole.commands.bench",
        "push screenshot turns headless, once per window policy, and export the timings",
    ),
    "fleet": (
        "vlmconsole.commands.fleet",
        "every vLLM server a Prometheus scrapes, a row each; Enter opens the console (--json)",
    ),
    "serve": (
        "vlmconsole.commands.serve",
        "the console in a browser: serve -- attach :8000 (127.0.0.1 unless --host)",
    ),
    "ps": (
        "vlmconsole.commands.ps",
        "list the vLLM containers here: image:tag, state, uptime, port, GPUs, version (--json)",
    ),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Returns the argument parser for every vlmconsole command.

    With `only`, just that command's arguments are added (each command is still listed and
    accepted): `main` parses one command, and the others' modules need not load.
    """
    parser = OneLineParser(
        prog="vlmconsole",
        description=(
            "A terminal operations console for a live vLLM server: what it is, what it is "
            "doing, and what each screenshot turn of a vision chat costs."
        ),
    )
    parser.add_argument("--version", action="version", version=f"vlmconsole {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(module_name).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the process exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    named = next((word for word in words if not word.startswith("-")), None)
    parser = build_parser(named if named in COMMANDS else None)
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 0
    module_name, _help = COMMANDS[args.command]
    module = importlib.import_module(module_name)
    code: int = module.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
