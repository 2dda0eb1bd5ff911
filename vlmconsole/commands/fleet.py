"""`vlmconsole fleet --prometheus URL`: every vLLM server Prometheus scrapes, one row each.

Prometheus computes the rates and percentiles; a refresh is two requests at any fleet
size. Enter on a row opens the console on that instance; leaving the console comes
back to the fleet. `--json` prints one object per refresh for scripts.

Exit code: 0, or 2 when Prometheus cannot be used (unreachable, not Prometheus, a
refused query, a bad flag).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from datetime import UTC, datetime

from vlmconsole.commands.arg_types import positive_int, positive_seconds
from vlmconsole.commands.attach import add_console_arguments

EXIT_OK, EXIT_UNUSABLE = 0, 2
VERSION_WAIT_S = 1.5
"""`--json` waits this long for new instances to say their vLLM version."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the fleet command's arguments."""
    parser.add_argument(
        "--prometheus",
        required=True,
        metavar="URL",
        help="Prometheus' address: HOST:PORT or a URL (such as http://127.0.0.1:9090)",
    )
    parser.add_argument(
        "--match",
        default="",
        metavar="LABELS",
        help='label matchers every series must meet, such as \'job="vllm",env=~"prod.*"\'',
    )
    parser.add_argument(
        "--window",
        default="1m",
        metavar="DURATION",
        help="PromQL window for rates and percentiles (default %(default)s; at least 4 scrapes)",
    )
    parser.add_argument(
        "--refresh",
        type=positive_seconds,
        default=5.0,
        metavar="S",
        help="seconds between refreshes (default %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (one object a refresh)")
    parser.add_argument(
        "--count", type=positive_int, metavar="N", help="with --json: N refreshes (default 1)"
    )
    parser.add_argument("--sort", default="instance", metavar="COLUMN", help="sort by COLUMN")
    parser.add_argument(
        "--filter",
        default="",
        metavar="TEXT",
        help="rows to show: words, or COLUMN>N, COLUMN=TEXT, COLUMN~TEXT ('kv_cache_usage>0.8')",
    )
    parser.add_argument(
        "--descending", action="store_true", help="sort from the largest value down"
    )
    add_console_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Runs `fleet`; returns the exit code."""
    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.model.fleet_queries import (
        FleetQuery,
        FleetQueryError,
        check_match,
        check_window,
    )
    from vlmconsole.model.fleet_rows import SORTABLE, FilterError, RowFilter
    from vlmconsole.model.outside_text import error_line
    from vlmconsole.settings import SettingsError, flags_from, load_settings
    from vlmconsole.sources.prometheus_api import parse_prometheus_url
    from vlmconsole.sources.source_errors import SourceError

    try:
        settings = load_settings(flags_from(args))
        prometheus = parse_prometheus_url(args.prometheus)
        query = FleetQuery(window=check_window(args.window), match=check_match(args.match))
        RowFilter(args.filter).conditions()
        if args.sort not in SORTABLE:
            raise FleetQueryError(f"--sort {args.sort!r}: one of {', '.join(SORTABLE)}")
    except (SettingsError, SourceError, FleetQueryError, FilterError) as error:
        print_error(error)
        return EXIT_UNUSABLE
    if args.count is not None and not args.json:
        print(error_line("--count goes with --json"), file=sys.stderr)
        return EXIT_UNUSABLE
    if args.json:
        try:
            return asyncio.run(_print_json(args, prometheus.base_url, query))
        except KeyboardInterrupt:
            return EXIT_OK
    return _run_screen(args, prometheus.base_url, query, settings)


async def _print_json(args: argparse.Namespace, prometheus: str, query: object) -> int:
    import time

    from vlmconsole.commands.terminate import cancel_on_terminate
    from vlmconsole.model.fleet_queries import FleetQuery
    from vlmconsole.model.fleet_rows import RowFilter, fleet_totals, sorted_rows
    from vlmconsole.settings import flags_from, load_settings
    from vlmconsole.sources.endpoint import Endpoint
    from vlmconsole.sources.fleet_source import FleetSource
    from vlmconsole.sources.prometheus_api import PrometheusApi, PrometheusError
    from vlmconsole.views.fleet_view import empty_note, fleet_dict

    assert isinstance(query, FleetQuery)
    settings = load_settings(flags_from(args))
    source = FleetSource(PrometheusApi(Endpoint(prometheus), timeout_s=settings.timeout_s), query)
    row_filter = RowFilter(args.filter)
    code = EXIT_OK
    cancel_on_terminate()
    try:
        for done in range(args.count or 1):
            started = time.monotonic()
            now = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                reading = await source.read(versions_within_s=VERSION_WAIT_S)
            except PrometheusError as error:
                print(json.dumps({"time": now, "prometheus": prometheus, "error": str(error)}))
                code = EXIT_UNUSABLE
            else:
                code = EXIT_OK
                rows = sorted_rows(reading.rows, args.sort, args.descending)
                kept = [row for row in rows if row_filter.keeps(row)]
                shown = dataclasses.replace(reading, rows=tuple(kept))
                line = fleet_dict(shown, fleet_totals(reading.rows), prometheus, query.window, now)
                if not reading.rows:
                    line["note"] = empty_note(prometheus)
                print(json.dumps(line), flush=True)
            if done + 1 < (args.count or 1):
                await asyncio.sleep(max(0.0, args.refresh - (time.monotonic() - started)))
    except asyncio.CancelledError:  # SIGTERM: the last line is whole
        code = EXIT_OK
    finally:
        await source.aclose()
    return code


def _run_screen(args: argparse.Namespace, prometheus: str, query: object, settings: object) -> int:
    """Runs the fleet screen; Enter on a row runs the console on it, then the fleet again."""
    from vlmconsole.commands.attach import run_console
    from vlmconsole.model.fleet_queries import FleetQuery
    from vlmconsole.settings import Settings
    from vlmconsole.sources.endpoint import Endpoint, parse_endpoint
    from vlmconsole.sources.fleet_source import FleetSource, base_of
    from vlmconsole.sources.prometheus_api import PrometheusApi
    from vlmconsole.ui.fleet_app import FleetApp, FleetScreenState

    assert isinstance(query, FleetQuery) and isinstance(settings, Settings)
    state = FleetScreenState(sort=args.sort, descending=args.descending, filter=args.filter)
    while True:
        source = FleetSource(
            PrometheusApi(Endpoint(prometheus), timeout_s=settings.timeout_s), query
        )
        app = FleetApp(source, prometheus, query.window, args.refresh, state, theme=settings.theme)
        app.run()
        chosen = app.return_value
        if chosen is None:
            return app.return_code or EXIT_OK
        state = chosen.state
        base = base_of(chosen.scrape_url)
        if base is None:
            continue
        run_console(parse_endpoint(base), settings)
