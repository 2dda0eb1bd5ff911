"""`vlmconsole bench SERVER`: screenshot turns, headless, once per window policy.

Prints a line a turn as it ends and a summary a run, writes the journal as it
goes and the exports (CSV, JSON Lines, HTML report) at the end. Exit code: 0
every turn finished, 1 some failed, 2 the bench could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from vlmconsole.commands.arg_types import (
    image_size,
    non_negative_int,
    positive_int,
    positive_seconds,
    turn_text,
)
from vlmconsole.commands.settings_flags import add_connection_arguments
from vlmconsole.model.outside_text import error_line
from vlmconsole.model.run_settings import TRANSPORTS

EXIT_OK, EXIT_TURNS_FAILED, EXIT_UNUSABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the bench command's arguments."""
    parser.add_argument("server", help="HOST:PORT, :PORT, or a URL (with or without /v1)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, metavar="DIR", help="screenshots, in name order")
    source.add_argument(
        "--synthetic", type=image_size, metavar="WxH", help="made-up screenshots of this size"
    )
    parser.add_argument(
        "--turns", type=positive_int, help="turns a run (default: the images, or 16)"
    )
    parser.add_argument(
        "--policy",
        default="none",
        help="window policies, comma-separated: none, slide:N, chunk:N (default none)",
    )
    parser.add_argument("--transport", default="base64", choices=TRANSPORTS, help="image transport")
    parser.add_argument(
        "--max-tokens", type=positive_int, default=32, help="reply length (default 32)"
    )
    parser.add_argument("--out", type=Path, help="session folder (default ./vlmconsole-bench-TIME)")
    parser.add_argument("--model", help="model to use (default: the server's first)")
    parser.add_argument(
        "--text", type=turn_text, help="words sent with each screenshot; {turn} is its number"
    )
    parser.add_argument(
        "--max-side", type=positive_int, help="downscale images to this longest side"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, help="base seed for images (default: random)"
    )
    parser.add_argument(
        "--predict",
        type=positive_int,
        default=60,
        metavar="N",
        help="predict TTFT at N screenshots",
    )
    parser.add_argument(
        "--stall-timeout",
        type=positive_seconds,
        default=120.0,
        metavar="S",
        help="fail a turn after S seconds with no data (default 120)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary (runs, findings, comparison) as JSON instead of the text",
    )
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Runs `bench`; returns the exit code."""
    from vlmconsole.commands.settings_flags import print_error
    from vlmconsole.model.window_policy import PolicyError
    from vlmconsole.settings import SettingsError, load_settings
    from vlmconsole.sources.bench_runner import DEFAULT_TEXT, BenchPlan, policies_from
    from vlmconsole.sources.endpoint import parse_endpoint
    from vlmconsole.sources.screenshots import images_in
    from vlmconsole.sources.source_errors import SourceError

    try:
        settings = load_settings({"api_key": args.api_key, "timeout_s": args.timeout})
        endpoint = parse_endpoint(args.server)
        policies = policies_from(args.policy)
        images = tuple(images_in(args.images)) if args.images else ()
        synthetic = args.synthetic
        if not policies:
            raise PolicyError("--policy names no policy")
        turns = args.turns if args.turns is not None else (len(images) or 16)
        if turns < 1 or args.max_tokens < 1:
            raise ValueError("--turns and --max-tokens must be 1 or more")
    except (SettingsError, SourceError, PolicyError, ValueError) as error:
        print_error(error)
        return EXIT_UNUSABLE
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    plan = BenchPlan(
        endpoint=endpoint,
        api_key=settings.api_key,
        policies=policies,
        transport=args.transport,
        turns=turns,
        max_tokens=args.max_tokens,
        out_dir=args.out or Path(f"vlmconsole-bench-{stamp}"),
        images=images,
        synthetic=synthetic,
        model=args.model,
        text=args.text or DEFAULT_TEXT,
        seed=args.seed,
        max_side=args.max_side,
        stall_timeout_s=args.stall_timeout,
        timeout_s=settings.timeout_s,
    )
    try:
        return asyncio.run(_bench(plan, args.predict, as_json=args.json))
    except KeyboardInterrupt:
        print(f"\nvlmconsole: stopped; finished turns are in {plan.out_dir}", file=sys.stderr)
        return EXIT_TURNS_FAILED


async def _bench(plan: object, predict_at: int, as_json: bool = False) -> int:
    from rich.console import Console
    from rich.rule import Rule

    from vlmconsole.export import export_all
    from vlmconsole.export.summary import compared, group_runs, run_findings, run_labels
    from vlmconsole.export.summary_json import summary_json
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.window_policy import WindowPolicy
    from vlmconsole.sources.bench_runner import BenchPlan, prepare, run_bench
    from vlmconsole.sources.source_errors import SourceError
    from vlmconsole.views.bench_view import HEADER, run_summary, turn_line
    from vlmconsole.views.comparison_view import comparison_text
    from vlmconsole.views.findings_view import findings_text
    from vlmconsole.views.safe_text import plain

    assert isinstance(plan, BenchPlan)
    # a row a turn: never wrapped; with --json the text goes to stderr, the JSON alone to stdout
    console = Console(highlight=False, soft_wrap=True, stderr=as_json)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        start = await prepare(plan)
    except SourceError as error:
        err.print(plain(error_line(error)))
        return EXIT_UNUSABLE
    card = next(c for c in start.info.models if c.id == start.model)
    head = plain(f"vLLM {start.info.version or '?'} at {plan.endpoint}, model {start.model}")
    head.append(f" (max context {card.max_model_len or '?'}); ")
    head.append(f"{plan.turns} turns x {len(plan.policies)} runs, transport {plan.transport}, ")
    head.append(f"image seed {start.seed}; journal {start.journal}")
    console.print(head)

    def on_run(index: int, policy: WindowPolicy) -> None:
        console.print(Rule(f"run {index + 1} of {len(plan.policies)}: {policy}", align="left"))
        console.print(HEADER, style="bold")

    def on_record(record: TurnRecord) -> None:
        console.print(turn_line(record))

    records = await run_bench(plan, start, on_record, on_run)
    console.print()
    runs = group_runs(records)
    labels = run_labels(runs)
    found = run_findings(runs, start.facts)
    for run in runs:
        policy = WindowPolicy.parse(run.policy)
        console.print(run_summary(policy, run.records, predict_at))
        console.print(findings_text(found[run.run_id], f"why ({labels[run.run_id]}):"))
    if len(runs) > 1:
        console.print(comparison_text(compared(runs, labels, found)))
    meta = {
        "server": str(plan.endpoint),
        "vLLM": start.info.version or "not reported",
        "model": start.model,
        "transport": plan.transport,
        "image seed": str(start.seed),
    }
    title = f"vlmconsole bench: {start.model}"
    written = export_all(records, plan.out_dir, title, meta, start.facts)
    console.print("wrote " + ", ".join(str(p) for p in [start.journal, *written.values()]))
    if as_json:
        sys.stdout.write(summary_json(records, title, meta, start.facts))
    return EXIT_OK if all(r.ok for r in records) else EXIT_TURNS_FAILED
