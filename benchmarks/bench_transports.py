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

from vlmconsole.model.session import ImageRef, Session, UserTurn, next_messages  # noqa: E402
from vlmconsole.sources.image_transport import ImageTransport, make_transport  # noqa: E402
from vlmconsole.sources.screenshots import ImageAsset, load_image  # noqa: E402
from vlmconsole.sources.synthetic_images import synthetic_screenshot  # noqa: E402


def body(messages: list[Any], urls: dict[str, str]) -> bytes:
    payload: list[dict[str, Any]] = []
    for m in messages:
        if not m.image_ids:
            payload.append({"role": m.role, "content": m.text})
            continue
        parts: list[dict[str, Any]] = [{"type": "text", "text": m.text}]
        parts += [{"type": "image_url", "image_url": {"url": urls[i]}} for i in m.image_ids]
        payload.append({"role": m.role, "content": parts})
    request = {"model": "m", "messages": payload, "stream": True, "max_tokens": 32}
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
        urls = {i: transport.url_for(assets[i]) for m in messages for i in m.image_ids}
        built = time.perf_counter()
        size = len(body(messages, urls))
        prep.append(built - start)
        serialize.append(time.perf_counter() - built)
        session = session.with_exchange(turn, "ok")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
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
    for name in ("base64", "url", "file"):
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
        f"({sizes['base64'] / sizes['url']:.0f}x smaller)"
    )


if __name__ == "__main__":
    main()
