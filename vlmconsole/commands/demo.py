"""`vlmconsole demo`: the console on the built-in vLLM-compatible server, no GPU needed."""

from __future__ import annotations

import argparse

from vlmconsole.commands.arg_types import port_or_zero, positive_int, positive_number


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
    parser.add_argument(
        "--vllm-version",
        choices=VLLM_VERSIONS,
        default=VLLM_VERSIONS[0],
        help="the vLLM release the demo server plays (its /version; the two pages match)",
    )
    parser.add_argument(
        "--kv-cache-metrics",
        action="store_true",
        help="export the kv_block_* residency histograms, as vLLM's --kv-cache-metrics",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="serve the demo API and /metrics on 127.0.0.1 without the console, until "
        "Ctrl+C or SIGTERM (a stand-in vLLM)",
    )
    parser.add_argument(
        "--instances",
        type=positive_int,
        default=1,
        metavar="N",
        help="with --headless: N demo servers in one process, on ports PORT..PORT+N-1 "
        "(or N free ports), for a stand-in fleet",
    )
    add_console_arguments(parser)


VLLM_VERSIONS = ("0.32.0", "0.33.0")


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
    config = SimConfig(
        speed=args.speed,
        background_load=args.load,
        version=args.vllm_version,
        kv_cache_metrics=args.kv_cache_metrics,
    )
    if args.headless:
        return serve_headless(config, args.port, args.instances)
    if args.instances != 1:
        print_error(ValueError("--instances goes with --headless (the console shows one server)"))
        return 2
    with run_in_thread(config, port=args.port) as server:
        return run_console(parse_endpoint(server.base_url), settings)


def serve_headless(config: object, port: int, instances: int = 1) -> int:
    """Serves `instances` demo servers on 127.0.0.1 until SIGINT or SIGTERM; returns the
    exit code."""
    import asyncio
    import signal
    import sys

    from vlmconsole.sim.config import SimConfig
    from vlmconsole.sim.sim_server import SimServer

    assert isinstance(config, SimConfig)

    async def serve() -> int:
        servers = [SimServer(config) for _ in range(instances)]
        for index, server in enumerate(servers):
            at = port + index if port else 0
            try:
                await server.start("127.0.0.1", at)
            except OSError as error:
                reason = error.strerror or error
                print(f"vlmconsole: cannot listen on 127.0.0.1:{at}: {reason}", file=sys.stderr)
                for started in servers[:index]:
                    await started.stop()
                return 2
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        where = ", ".join(server.base_url for server in servers)
        print(
            f"demo vLLM {config.version} serving {config.model} on {where} "
            "(the API and /metrics); Ctrl+C or SIGTERM stops it",
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            for server in servers:
                await server.stop()
        print("demo server stopped", flush=True)
        return 0

    return asyncio.run(serve())
