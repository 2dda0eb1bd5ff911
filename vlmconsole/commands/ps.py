"""`vlmconsole ps`: the vLLM containers on this machine, with image, state and version.

Exit code: 0 when Docker answered (even with no vLLM container), 2 when Docker
is not reachable or refuses this user (one line on stderr says why).
"""

from __future__ import annotations

import argparse
import json
import sys

from vlmconsole.commands.arg_types import positive_seconds
from vlmconsole.model.outside_text import error_line

EXIT_OK, EXIT_UNUSABLE = 0, 2
MAX_VERSION_READERS = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ps command's arguments."""
    parser.add_argument("--json", action="store_true", help="JSON, for scripts")
    parser.add_argument(
        "--all", action="store_true", help="stopped containers too (default: running only)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=10.0,
        metavar="S",
        help="seconds per Docker answer",
    )


def run(args: argparse.Namespace) -> int:
    """Runs `ps`; returns the exit code."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from rich.console import Console

    from vlmconsole.sources.docker_source import DockerSource
    from vlmconsole.sources.source_errors import SourceError
    from vlmconsole.views.ps_view import ps_dict, ps_text

    source = DockerSource(timeout_s=args.timeout)
    try:
        containers = source.containers(include_stopped=args.all)
        # /version answers at once; `docker exec python3` takes seconds: read them side by side.
        with ThreadPoolExecutor(max_workers=MAX_VERSION_READERS) as pool:
            versions = list(pool.map(source.vllm_version, containers))
    except SourceError as error:
        print(error_line(error), file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        source.close()
    now = datetime.now(UTC)
    rows = list(zip(containers, versions, strict=True))
    if args.json:
        print(json.dumps(ps_dict(rows, now, source.host), indent=2))
        return EXIT_OK
    console = Console(highlight=False)
    if not rows:
        which = "vLLM containers" if args.all else "running vLLM containers (--all: stopped too)"
        console.print(f"no {which} on {source.host}", markup=False)
        return EXIT_OK
    console.print(ps_text(rows, now), soft_wrap=True)  # the terminal wraps long rows
    return EXIT_OK
