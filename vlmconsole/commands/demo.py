"""`vlmconsole demo`: the console on the built-in vLLM-compatible server, no GPU needed."""

from __future__ import annotations

import argparse

from vlmconsole.commands.arg_types import port_or_zero, positive_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the demo command's arguments."""
    from vlmconsole.commands.attach import add_console_arguments

    parser.add_argument(
        "--speed", type=positive_number, default=1.0, help="run the demo server X times faster"
    )
    parser.add_argument("--load", action="store_true", help="scripted background load")
    parser.add_argument(
        "--port", type=port_or_zero, default=0, help="demo server port (default: free)"
    )
    add_console_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Starts the demo server on 127.0.0.1, attaches the console to it; returns the exit code."""
    import dataclasses

    from vlmconsole.commands.attach import run_console
    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.packaged import sample_screenshots
    from vlmconsole.settings import SettingsError, flags_from, load_settings
    from vlmconsole.sim.config import SimConfig
    from vlmconsole.sim.sim_server import run_in_thread
    from vlmconsole.sources.endpoint import parse_endpoint

    try:  # before the server starts: a bad setting starts nothing
        settings = load_settings(flags_from(args))
    except SettingsError as error:
        print_error(error)
        return 2
    if settings.images_dir is None:
        settings = dataclasses.replace(settings, images_dir=sample_screenshots())
    config = SimConfig(speed=args.speed, background_load=args.load)
    with run_in_thread(config, port=args.port) as server:
        return run_console(parse_endpoint(server.base_url), settings)
