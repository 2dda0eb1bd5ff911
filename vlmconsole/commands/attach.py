"""`vlmconsole attach SERVER`: the console on a live vLLM server."""

from __future__ import annotations

import argparse
import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vlmconsole.commands.arg_types import positive_int, positive_seconds
from vlmconsole.commands.settings_flags import add_connection_arguments
from vlmconsole.settings import PREVIEWS, TRANSPORTS

if TYPE_CHECKING:
    from vlmconsole.sources.console_sources import MetricsFeed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the attach command's arguments (shared with demo)."""
    parser.add_argument(
        "server",
        nargs="?",
        help="HOST:PORT, :PORT, a URL (with or without /v1), or a container name",
    )
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="read the metrics through this Prometheus (with --instance), not from the server",
    )
    parser.add_argument(
        "--instance",
        metavar="X",
        help="with --prometheus: the instance label of the server (as `fleet` lists it)",
    )
    add_console_arguments(parser)


def add_console_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the console's options: each a setting, its default in the schema (settings.py)."""
    parser.add_argument(
        "--images", type=Path, metavar="DIR", help="screenshots for n and w (default %(default)s)"
    )
    parser.add_argument(
        "--policy", help="window policy: none, slide:N, chunk:N (default %(default)s)"
    )
    parser.add_argument(
        "--transport", choices=TRANSPORTS, help="image transport (default %(default)s)"
    )
    parser.add_argument(
        "--max-tokens", type=positive_int, help="reply length (default %(default)s)"
    )
    parser.add_argument("--model", help="model to chat with (default: %(default)s)")
    parser.add_argument(
        "--theme", help="vlm-dark, vlm-light, vlm-contrast, or one of yours (default %(default)s)"
    )
    parser.add_argument(
        "--interval",
        type=positive_seconds,
        metavar="S",
        help="seconds between scrapes (default %(default)s)",
    )
    parser.add_argument(
        "--session-dir", type=Path, metavar="DIR", help="journal and exports (default %(default)s)"
    )
    parser.add_argument("--preview", choices=PREVIEWS, help="image previews (default %(default)s)")
    parser.add_argument(
        "--no-preview", dest="preview", action="store_const", const="none", help="--preview none"
    )
    parser.add_argument(
        "--text", help="words sent with a screenshot pushed without words (default: %(default)s)"
    )
    add_connection_arguments(parser)


def default_session_dir(env: dict[str, str] | None = None) -> Path:
    """Returns a new session folder under $XDG_DATA_HOME/vlmconsole/sessions."""
    env = dict(os.environ) if env is None else env
    base = Path(env.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return base / "vlmconsole" / "sessions" / stamp


def run(args: argparse.Namespace) -> int:
    """Runs `attach`; returns the exit code."""
    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.settings import SettingsError, flags_from, load_settings
    from vlmconsole.sources.endpoint import looks_like_address, parse_endpoint
    from vlmconsole.sources.source_errors import SourceError

    if args.prometheus or args.instance:
        return _attach_through_prometheus(args)
    if args.server is None:
        print_error(SourceError("attach needs a server: HOST:PORT, :PORT, a URL or a container"))
        return 2
    try:
        settings = load_settings(flags_from(args))
        if looks_like_address(args.server):  # Docker is not asked before the console is up
            endpoint, container = parse_endpoint(args.server), None
        else:  # a container's name: Docker says where it listens
            from vlmconsole.sources.docker_source import resolve_target

            endpoint, container = resolve_target(args.server, behind=False)
    except (SettingsError, SourceError) as error:
        print_error(error)
        return 2
    return run_console(endpoint, settings, container, find_container=container is None)


def _attach_through_prometheus(args: argparse.Namespace) -> int:
    """Runs the console on one instance whose metrics come through Prometheus."""
    import asyncio

    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.settings import SettingsError, flags_from, load_settings
    from vlmconsole.sources.endpoint import Endpoint, parse_endpoint
    from vlmconsole.sources.fleet_source import base_of
    from vlmconsole.sources.prometheus_api import PrometheusApi, parse_prometheus_url
    from vlmconsole.sources.prometheus_feed import PrometheusFeed
    from vlmconsole.sources.source_errors import SourceError

    try:
        if not args.prometheus or not args.instance:
            raise SourceError("--prometheus URL and --instance X go together")
        if args.server is not None:
            raise SourceError("give either a server or --prometheus with --instance, not both")
        settings = load_settings(flags_from(args))
        prometheus = parse_prometheus_url(args.prometheus)
    except (SettingsError, SourceError) as error:
        print_error(error)
        return 2

    async def find_target() -> str | None:
        api = PrometheusApi(prometheus, settings.timeout_s)
        try:
            targets = await api.targets()
        finally:
            await api.aclose()
        found = [t for t in targets if t.instance == args.instance]
        if not found:
            listed = ", ".join(sorted({t.instance for t in targets})[:8]) or "none"
            raise SourceError(
                f"Prometheus at {prometheus} scrapes no instance {args.instance!r}"
                f" (it scrapes: {listed})"
            )
        return base_of(found[0].scrape_url)

    try:
        base = asyncio.run(find_target())
    except SourceError as error:
        print_error(error)
        return 2
    # the chat still goes to the server itself, at the address Prometheus scrapes
    endpoint = parse_endpoint(base) if base else Endpoint(f"http://{args.instance}")
    feed = PrometheusFeed(PrometheusApi(prometheus, settings.timeout_s), args.instance)
    return run_console(endpoint, settings, metrics=feed)


def run_console(
    endpoint: object,
    settings: object,
    container: object = None,
    find_container: bool = False,
    metrics: MetricsFeed | None = None,
) -> int:
    """Builds the console's sources from the settings and runs it; returns the exit code."""
    from vlmconsole.model.container import ContainerInfo
    from vlmconsole.settings import Settings
    from vlmconsole.sources.endpoint import Endpoint
    from vlmconsole.sources.live_sources import LiveSources

    assert isinstance(endpoint, Endpoint) and isinstance(settings, Settings)
    session_dir: Path = settings.session_dir or default_session_dir()
    from vlmconsole.ui.console_config import ConsoleConfig

    config = ConsoleConfig(
        url=endpoint.base_url,
        session_dir=session_dir,
        scrape_interval_s=settings.scrape_interval_s,
        model=settings.model,
        policy=settings.policy,
        transport=settings.transport,
        max_tokens=settings.max_tokens,
        theme=settings.theme,
        preview=settings.preview,
        container=container if isinstance(container, ContainerInfo) else None,
        find_container=find_container,
        text=settings.text,
    )
    sources = LiveSources(
        endpoint,
        settings.api_key,
        session_dir,
        run_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S"),
        timeout_s=settings.timeout_s,
        images_dir=settings.images_dir,
    )
    if metrics is not None:  # such as a PrometheusFeed
        sources.metrics = metrics
    else:
        sources.scrape_ahead()  # the first scrape runs while the console loads
    from vlmconsole.ui.terminal_probe import choose_preview

    config = dataclasses.replace(config, preview=choose_preview(config.preview, os.environ))
    from vlmconsole.ui.app import VlmConsoleApp

    app = VlmConsoleApp(config, sources)
    app.run()
    if session_dir.exists():
        print(f"session kept in {session_dir}")
    return app.return_code or 0
