"""`vlmconsole status SERVER`: what the server is and what it is doing, as text or JSON.

Exit code: 0 healthy, 1 answered but unhealthy (/health not 200), 2 unusable
(unreachable, refused key, not vLLM, bad address). With `--watch` it keeps
going through failures and picks up when the server is back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from vlmconsole.commands.arg_types import non_negative_seconds, positive_int, positive_seconds
from vlmconsole.commands.settings_flags import add_connection_arguments
from vlmconsole.model.outside_text import error_line

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_UNUSABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the status command's arguments."""
    parser.add_argument("server", help="HOST:PORT, :PORT, or a URL (with or without /v1)")
    parser.add_argument(
        "--watch",
        type=positive_seconds,
        metavar="SECONDS",
        help="refresh every SECONDS until interrupted (or --count times)",
    )
    parser.add_argument(
        "--count", type=positive_int, metavar="N", help="with --watch: stop after N"
    )
    parser.add_argument("--json", action="store_true", help="JSON (one object a line)")
    add_connection_arguments(parser)
    parser.add_argument(
        "--sample",
        type=non_negative_seconds,
        default=1.0,
        metavar="S",
        help="without --watch: seconds between the two scrapes that give rates (0: one scrape)",
    )
    parser.add_argument(
        "--latency-window",
        type=positive_seconds,
        default=60.0,
        metavar="S",
        help="seconds of history for latency percentiles (default 60)",
    )


@dataclass
class _Frame:
    code: int
    text_error: str | None


def run(args: argparse.Namespace) -> int:
    """Runs `status`; returns the exit code."""
    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.settings import SettingsError, load_settings
    from vlmconsole.sources.endpoint import parse_endpoint
    from vlmconsole.sources.source_errors import EndpointError

    try:
        settings = load_settings({"api_key": args.api_key, "timeout_s": args.timeout})
        endpoint = parse_endpoint(args.server)
    except (SettingsError, EndpointError) as error:
        print_error(error)
        return EXIT_UNUSABLE
    if args.watch is not None and args.watch <= 0:
        print("vlmconsole: --watch needs a number of seconds above 0", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        return asyncio.run(_status(args, endpoint, settings))
    except KeyboardInterrupt:
        return EXIT_HEALTHY


async def _status(args: argparse.Namespace, endpoint: object, settings: object) -> int:
    from rich.console import Console
    from rich.live import Live

    from vlmconsole.commands.terminate import cancel_on_terminate
    from vlmconsole.model.launch_config import LaunchConfig
    from vlmconsole.model.rates import MetricsHistory, Scope
    from vlmconsole.model.server_stats import cache_config_labels, derive_stats, scopes
    from vlmconsole.settings import Settings
    from vlmconsole.sources.endpoint import Endpoint
    from vlmconsole.sources.launch_source import read_launch
    from vlmconsole.sources.observer import Observer
    from vlmconsole.sources.source_errors import SourceError
    from vlmconsole.views.status_json import status_dict
    from vlmconsole.views.status_view import status_view

    assert isinstance(endpoint, Endpoint) and isinstance(settings, Settings)
    console = Console(highlight=False)
    # Piped or redirected, lines stay whole (rich would wrap them at 80 columns).
    console.soft_wrap = not console.is_terminal
    observer = Observer(endpoint, settings.api_key, settings.timeout_s)
    history = MetricsHistory(keep_s=max(args.latency_window, 10.0) + 5.0)
    launched: list[LaunchConfig] = []
    live: Live | None = None
    if args.watch and not args.json and console.is_terminal:
        live = Live(console=console, auto_refresh=False, transient=False)
        live.start()

    def now_text() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    async def tick() -> _Frame:
        try:
            observation = await observer.observe()
        except SourceError as error:
            return _Frame(EXIT_UNUSABLE, str(error))
        history.add(observation.snapshot)
        stats = [
            derive_stats(history, scope, latency_window_s=args.latency_window)
            for scope in scopes(observation.snapshot)
        ]
        if not launched:  # what it runs with does not change while it runs: read it once
            launched.append(
                await read_launch(
                    endpoint,
                    settings.api_key,
                    settings.timeout_s,
                    cache_labels=cache_config_labels(observation.snapshot, Scope()),
                    max_model_len=observation.info.max_model_len,
                    container=None,
                )
            )
        launch = launched[0]
        code = EXIT_HEALTHY if observation.info.healthy else EXIT_UNHEALTHY
        if args.json:
            line = status_dict(observation.info, stats, now_text(), launch=launch)
            print(json.dumps(line), flush=True)
        elif live is not None:
            live.update(status_view(observation.info, stats, launch), refresh=True)
        else:
            if args.watch:
                console.rule(now_text())
            console.print(status_view(observation.info, stats, launch))
        return _Frame(code, None)

    def report(frame: _Frame) -> None:
        if frame.text_error is None:
            return
        if args.json:
            print(json.dumps({"time": now_text(), "url": str(endpoint), "error": frame.text_error}))
        elif live is not None:
            live.update(f"{now_text()}  {frame.text_error}  (retrying)", refresh=True)
        else:
            print(error_line(frame.text_error), file=sys.stderr, flush=True)

    try:
        if args.watch is None:
            if args.sample > 0:
                try:
                    history.add((await observer.observe()).snapshot)
                except SourceError as error:
                    report(_Frame(EXIT_UNUSABLE, str(error)))
                    return EXIT_UNUSABLE
                await asyncio.sleep(args.sample)
            frame = await tick()
            report(frame)
            return frame.code
        frame = _Frame(EXIT_HEALTHY, None)
        done = 0
        next_at = time.monotonic()
        cancel_on_terminate()
        try:
            while args.count is None or done < args.count:
                frame = await tick()
                report(frame)
                done += 1
                if args.count is not None and done >= args.count:
                    break
                next_at += args.watch
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        except asyncio.CancelledError:  # SIGTERM: the last line is whole
            return EXIT_HEALTHY
        return frame.code
    finally:
        if live is not None:
            live.stop()
        await observer.aclose()
