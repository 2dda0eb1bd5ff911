"""`vlmconsole attach SERVER`: the console on a live vLLM server."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vlmconsole.commands.arg_types import positive_int, positive_seconds
from vlmconsole.model.outside_text import error_line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the attach command's arguments (shared with demo)."""
    parser.add_argument(
        "server", help="HOST:PORT, :PORT, a URL (with or without /v1), or a container name"
    )
    add_console_arguments(parser)


def add_console_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the console's options."""
    parser.add_argument("--images", type=Path, metavar="DIR", help="screenshots for n and w")
    parser.add_argument("--policy", default="none", help="window policy: none, slide:N, chunk:N")
    parser.add_argument("--transport", default="base64", choices=("base64", "url", "file"))
    parser.add_argument(
        "--max-tokens", type=positive_int, default=64, help="reply length (default 64)"
    )
    parser.add_argument("--model", help="model to chat with (default: the server's first)")
    parser.add_argument("--theme", help="vlm-dark, vlm-light, vlm-contrast, or one of yours")
    parser.add_argument(
        "--interval", type=positive_seconds, metavar="S", help="seconds between scrapes"
    )
    parser.add_argument("--session-dir", type=Path, metavar="DIR", help="journal and exports")
    parser.add_argument("--no-preview", action="store_true", help="no image previews")
    parser.add_argument("--api-key", help="bearer token (default: VLLM_API_KEY, OPENAI_API_KEY)")
    parser.add_argument(
        "--timeout", type=positive_seconds, metavar="S", help="seconds per HTTP answer"
    )


def default_session_dir(env: dict[str, str] | None = None) -> Path:
    """Returns a new session folder under $XDG_DATA_HOME/vlmconsole/sessions."""
    env = dict(os.environ) if env is None else env
    base = Path(env.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return base / "vlmconsole" / "sessions" / stamp


def run(args: argparse.Namespace) -> int:
    """Runs `attach`; returns the exit code."""
    from vlmconsole.settings import SettingsError, load_settings
    from vlmconsole.sources.docker_source import resolve_target
    from vlmconsole.sources.source_errors import SourceError

    try:
        settings = load_settings(
            api_key=args.api_key, timeout_s=args.timeout, scrape_interval_s=args.interval
        )
        # the container behind an address is looked up once the console is up
        endpoint, container = resolve_target(args.server, behind=False)
    except (SettingsError, SourceError) as error:
        print(error_line(error), file=sys.stderr)
        return 2
    return run_console(args, endpoint, settings, container, find_container=container is None)


def run_console(
    args: argparse.Namespace,
    endpoint: object,
    settings: object,
    container: object = None,
    find_container: bool = False,
) -> int:
    """Builds the console's sources and runs it; returns the exit code."""
    from vlmconsole.model.container import ContainerInfo
    from vlmconsole.model.run_settings import RunSettings
    from vlmconsole.model.session import PolicyError, WindowPolicy
    from vlmconsole.settings import Settings
    from vlmconsole.sources.endpoint import Endpoint
    from vlmconsole.sources.observer import Observer

    if TYPE_CHECKING:
        from vlmconsole.sources.turn_engine import TurnEngine

    assert isinstance(endpoint, Endpoint) and isinstance(settings, Settings)
    try:
        policy = WindowPolicy.parse(args.policy)
    except PolicyError as error:
        print(error_line(error), file=sys.stderr)
        return 2
    session_dir: Path = args.session_dir or default_session_dir()
    from vlmconsole.ui.console_config import ConsoleConfig

    config = ConsoleConfig(
        url=endpoint.base_url,
        session_dir=session_dir,
        scrape_interval_s=settings.scrape_interval_s,
        model=args.model,
        policy=policy,
        transport=args.transport,
        max_tokens=args.max_tokens,
        images_dir=args.images,
        theme=args.theme,
        preview="none" if args.no_preview else "auto",
        container=container if isinstance(container, ContainerInfo) else None,
        find_container=find_container,
    )
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")

    def make_engine(run: RunSettings) -> TurnEngine:
        """Builds the engine (called in a thread once the metrics are on screen)."""
        from vlmconsole.sources.image_transport import make_transport
        from vlmconsole.sources.journal import JOURNAL_NAME, Journal
        from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

        return TurnEngine(
            endpoint,
            settings.api_key,
            RunConfig(run_id, run),
            make_transport(run.transport, session_dir),
            Journal(session_dir / JOURNAL_NAME),
        )

    observer = Observer(endpoint, settings.api_key, settings.timeout_s)
    from vlmconsole.ui.terminal_probe import choose_preview

    config = dataclasses.replace(config, preview=choose_preview(config.preview, os.environ))
    from vlmconsole.ui.app import VlmConsoleApp

    app = VlmConsoleApp(config, observer, make_engine)
    app.run()
    if session_dir.exists():
        print(f"session kept in {session_dir}")
    return app.return_code or 0
