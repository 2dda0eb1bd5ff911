"""`vlmconsole serve [--host H] [--port N] -- attach ...`: the console in a browser.

Each browser tab runs the command after `--` (attach, demo or fleet) as its own
process, through textual-serve. It listens on 127.0.0.1 unless told otherwise; a
wider bind is said out loud, because whoever reaches the port gets the console
without a login. An API key given on the command line goes to the console through
its environment, never in the command line textual-serve prints and logs.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

from vlmconsole.commands.arg_types import port_or_zero

SERVABLE = ("attach", "demo", "fleet")
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the serve command's arguments."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s: this machine only)",
    )
    parser.add_argument(
        "--port", type=port_or_zero, default=8080, help="port (default %(default)s)"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when a proxy stands in front (default: host and port)",
    )
    parser.add_argument(
        "console",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ...",
        help=f"the console to serve: {', '.join(SERVABLE)} and its arguments",
    )


def is_loopback(host: str) -> bool:
    """Returns True when `host` is reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str:
    """Returns what a bind beyond loopback exposes, in one line."""
    return (
        f"vlmconsole: serving on {host}:{port}, beyond this machine: anyone who reaches it gets"
        " the console with no login: they push turns to the server with your API key, read"
        " its metrics and container log, and write session files here. Keep --host 127.0.0.1"
        " or put an authenticating proxy in front."
    )


def console_command(rest: list[str]) -> tuple[list[str], str | None]:
    """Returns the console's argv (after `--`) without any --api-key, and that key."""
    args = rest[1:] if rest and rest[0] == "--" else list(rest)
    key: str | None = None
    kept: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg == "--api-key":
            key = args[index + 1] if index + 1 < len(args) else ""
            skip = True
        elif arg.startswith("--api-key="):
            key = arg.split("=", 1)[1]
        else:
            kept.append(arg)
    return kept, key


def run(args: argparse.Namespace) -> int:
    """Runs `serve`; returns the exit code."""
    import os
    import shlex

    from vlmconsole.model.outside_text import error_line

    argv, key = console_command(list(args.console))
    if not argv or argv[0] not in SERVABLE:
        given = argv[0] if argv else "nothing"
        print(
            error_line(
                f"serve needs a console after --, such as `serve -- attach :8000`"
                f" ({', '.join(SERVABLE)}), not {given}"
            ),
            file=sys.stderr,
        )
        return 2
    if key == "":
        print(error_line("--api-key needs a value"), file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(exposure_warning(args.host, args.port), file=sys.stderr, flush=True)
    if key is not None:
        os.environ["VLMCONSOLE_API_KEY"] = key  # the console's own variable: inherited
    command = shlex.join([sys.executable, "-m", "vlmconsole", *argv])
    from vlmconsole.packaged import served_templates
    from vlmconsole.sources.served_console import ServedConsole

    server = ServedConsole(
        command,
        shown=shlex.join(["vlmconsole", *argv]),
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        templates=served_templates(),
    )
    try:
        server.serve()
    except OSError as error:
        reason = error.strerror or error
        print(error_line(f"cannot listen on {args.host}:{args.port}: {reason}"), file=sys.stderr)
        return 2
    return 0
