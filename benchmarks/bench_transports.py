"""Client prep time per turn at 60 screenshots, per transport, encode-once vs every turn.

    .venv/bin/python benchmarks/bench_transports.py [--images 60] [--size 1280x720]

Builds the request of turn N (system, N-1 earlier exchanges, the new turn; N
images under policy `none`) the way the turn engine does, for each transport:
- encode once (the console): each image is read, checked and base64-encoded
  on the turn it first appears; later turns reuse the same URL string;
- re-encode every turn (a naive client): every image of the request is read
  from disk, checked and base64-encoded again each turn.
Two columns, timed apart because they have different owners: "prep" is the
console's own work (messages and image URLs: reading, checking and encoding
images); "JSON body" is serializing the request, which the openai SDK does for
every client alike (inside TTFT). Request bytes is the body's size. Pinned to
one core; medians over the last 10 turns. Targets: encode-once 10x or more
faster than re-encoding; url far smaller than base64.

With `--server URL [--model M] [--api-key K]`, also on a real vLLM server (the test
server: `bash scripts/setup_vllm_venv.sh`, then tests/support/real_vllm.py starts it):
--server-turns turns (policy none, max 4 tokens) for each of base64, url and uuid
through the console's turn engine, new 1280x720 screenshots each run (32 by default:
the test model's screenshot costs 863 tokens at any size, and 37 are more than its
32,768-token context); request bytes and TTFT at turns 1, 16 and the last, and the
median TTFT of every turn. Targets: a uuid turn carries only its new screenshot's
bytes, within 5% + 2 KB over what the url transport's turn carries (the words and
the links), and its median TTFT is no worse than base64's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vlmconsole.model.run_settings import RunSettings  # noqa: E402
from vlmconsole.model.session import ImageRef, Session, UserTurn, chat_payload, next_messages  # noqa: E402
from vlmconsole.model.turn_record import TurnRecord  # noqa: E402
from vlmconsole.model.window_policy import WindowPolicy  # noqa: E402
from vlmconsole.settings import ApiKey  # noqa: E402
from vlmconsole.sources.endpoint import parse_endpoint  # noqa: E402
from vlmconsole.sources.image_transport import (  # noqa: E402
    DataUrlTransport,
    ImageTransport,
    make_transport,
)
from vlmconsole.sources.journal import Journal  # noqa: E402
from vlmconsole.sources.screenshots import ImageAsset, load_image, synthetic_asset  # noqa: E402
from vlmconsole.sources.synthetic_images import synthetic_screenshot  # noqa: E402
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine  # noqa: E402


def body(messages: list[Any], parts: dict[str, str] | dict[str, dict[str, Any]]) -> bytes:
    """Returns the request's JSON body, as the turn engine builds it."""
    request = {
        "model": "m",
        "messages": chat_payload(messages, parts),
        "stream": True,
        "max_tokens": 32,
    }
    return json.dumps(request).encode()


Timings = tuple[list[float], list[float], int]
"""Prep times, JSON body times, and the last request's size in bytes."""


async def encode_once(paths: list[Path], transport: ImageTransport) -> Timings:
    await transport.start()
    session = Session()
    assets: dict[str, ImageAsset] = {}
    prep: list[float] = []
    serialize: list[float] = []
    size = 0
    for n, path in enumerate(paths, start=1):
        start = time.perf_counter()
        asset = load_image(path)
        assets[asset.sha256] = asset
        turn = UserTurn(f"screen {n}", (ImageRef(asset.sha256, str(path)),))
        messages = next_messages(session, turn)
        parts = {i: transport.part_for(assets[i]) for m in messages for i in m.image_ids}
        built = time.perf_counter()
        size = len(body(messages, parts))
        prep.append(built - start)
        serialize.append(time.perf_counter() - built)
        session = session.with_exchange(turn, "ok")
        transport.settle(parts, ok=True)  # as after a finished turn
    await transport.aclose()
    return prep, serialize, size


def reencode_every_turn(paths: list[Path]) -> Timings:
    session = Session()
    prep: list[float] = []
    serialize: list[float] = []
    size = 0
    for n, path in enumerate(paths, start=1):
        start = time.perf_counter()
        turn = UserTurn(f"screen {n}", (ImageRef(str(path), str(path)),))
        messages = next_messages(session, turn)
        urls = {}
        for m in messages:
            for image_id in m.image_ids:
                asset = load_image(Path(image_id))
                encoded = base64.b64encode(asset.data).decode()
                urls[image_id] = f"data:{asset.mime};base64,{encoded}"
        built = time.perf_counter()
        size = len(body(messages, urls))
        prep.append(built - start)
        serialize.append(time.perf_counter() - built)
        session = session.with_exchange(turn, "ok")
    return prep, serialize, size


def median_ms(times: list[float]) -> float:
    return statistics.median(times[-10:]) * 1000


def row(name: str, timings: Timings) -> tuple[float, float]:
    prep, serialize, size = median_ms(timings[0]), median_ms(timings[1]), timings[2]
    print(
        f"  {name:<30}{prep:9.2f} ms{serialize:11.2f} ms{prep + serialize:10.2f} ms"
        f"{size / 1e6:11.3f} MB"
    )
    return prep, prep + serialize


async def server_turns(
    url: str, key: str | None, model: str, transport: str, shots: list[ImageAsset], out: Path
) -> list[TurnRecord]:
    settings = RunSettings(model, WindowPolicy(), transport=transport, max_tokens=4)
    engine = TurnEngine(
        parse_endpoint(url),
        ApiKey(key) if key else None,
        RunConfig(f"bench-{transport}", settings),
        make_transport(transport, out / transport),
        Journal(out / f"{transport}.jsonl"),
        60,
    )
    await engine.start()
    try:
        return [await engine.send(f"screen {n}", [shot]) for n, shot in enumerate(shots)]
    finally:
        await engine.aclose()


def on_a_server(args: argparse.Namespace, width: int, height: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench-transports-"))
    base = 1000 * (int(time.time()) % 100_000)  # screenshots this server has not seen
    runs: dict[str, list[TurnRecord]] = {}
    shots: dict[str, list[ImageAsset]] = {}
    for offset, name in enumerate(("base64", "url", "uuid")):
        seeds = range(base + 100 * offset, base + 100 * offset + args.server_turns)
        shots[name] = [synthetic_asset(width, height, seed) for seed in seeds]
        runs[name] = asyncio.run(
            server_turns(args.server, args.api_key, args.model, name, shots[name], out)
        )
    print(f"\non {args.server}: {args.server_turns} turns each, {width}x{height}, policy none")
    marks = sorted({n for n in (1, 16) if n < args.server_turns} | {args.server_turns})
    print(f"  {'turn':>6}" + "".join(f"{name + ' bytes':>16}{'TTFT':>9}" for name in runs))
    for n in marks:
        cells = ""
        for records in runs.values():
            record = records[n - 1]
            ttft = f"{record.ttft_s * 1000:.0f} ms" if record.ttft_s is not None else "failed"
            cells += f"{record.request_bytes or 0:>16,}{ttft:>9}"
        print(f"  {n:>6}{cells}")
    failed = [r.error for records in runs.values() for r in records if not r.ok]
    if failed:
        print(f"  {len(failed)} turns failed, first: {failed[0]}")
    over = [
        n + 1
        for n, (record, linked) in enumerate(zip(runs["uuid"], runs["url"], strict=True))
        if record.ok
        and (record.request_bytes or 0)
        > (linked.request_bytes or 0)
        + len(DataUrlTransport().url_for(shots["uuid"][n])) * 1.05
        + 2048
    ]
    print(
        "  uuid turns carrying more than their new screenshot (over url's turn, 5% + 2 KB):"
        f" {over or 'none'} (target none: {'met' if not over else 'MISSED'})"
    )
    medians = {
        name: statistics.median(r.ttft_s for r in records if r.ttft_s is not None)
        for name, records in runs.items()
    }
    print(
        "  median TTFT: "
        + ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in medians.items())
        + f"; uuid / base64 {medians['uuid'] / medians['base64']:.2f}"
        f" (target <= 1: {'met' if medians['uuid'] <= medians['base64'] else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--server", help="a vLLM server's URL: also time real turns there")
    parser.add_argument("--model", default="vlmconsole-tiny-idefics3")
    parser.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY"))
    parser.add_argument("--server-turns", type=int, default=32)
    parser.add_argument("--server-size", default="1280x720")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    width, height = (int(v) for v in args.size.split("x"))
    folder = Path(tempfile.mkdtemp())
    paths = []
    for n in range(args.images):
        path = folder / f"shot-{n:03d}.png"
        path.write_bytes(synthetic_screenshot(width, height, seed=n))
        paths.append(path)
    mean_kb = statistics.fmean(p.stat().st_size for p in paths) / 1000
    print(
        f"{args.images} screenshots of {width}x{height} PNG ({mean_kb:.0f} KB each); "
        f"turn {args.images - 9}..{args.images}, median prep time and request size"
    )
    print(f"  {'':<30}{'prep':>12}{'JSON body':>14}{'total':>13}{'request':>14}")
    sizes: dict[str, int] = {}
    once: dict[str, tuple[float, float]] = {}
    for name in ("base64", "url", "file", "uuid"):
        timings = asyncio.run(encode_once(paths, make_transport(name, folder / name)))
        once[name] = row(f"{name}, encode once", timings)
        sizes[name] = timings[2]
    naive = row("base64, re-encode every turn", reencode_every_turn(paths))
    prep_ratio, total_ratio = naive[0] / once["base64"][0], naive[1] / once["base64"][1]
    print(
        f"encode once vs every turn (base64): prep {prep_ratio:.0f}x faster "
        f"(target 10x: {'met' if prep_ratio >= 10 else 'MISSED'}); "
        f"with the JSON body both pay, {total_ratio:.1f}x"
    )
    print(
        f"request bytes, url vs base64: {sizes['url']:,} vs {sizes['base64']:,} "
        f"({sizes['base64'] / sizes['url']:.0f}x smaller); uuid vs base64: {sizes['uuid']:,}"
        f" ({sizes['base64'] / sizes['uuid']:.0f}x smaller)"
    )
    if args.server:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        on_a_server(args, *(int(v) for v in args.server_size.split("x")))


if __name__ == "__main__":
    main()
