"""Measurement fidelity: the console's turn engine vs a minimal raw-httpx client, turn
for turn on a real vLLM server, each against the server's own TTFT.

    VLLM_API_KEY=... .venv/bin/python benchmarks/bench_fidelity.py --server URL
        [--model M] [--turns 16] [--size 1280x720]

Two conversations of the same shape (policy none, the same words, screenshots of the
same size but different pixels, so that neither hits what the other left in the
prefix cache), alternating turn for turn: turn N of the engine's, then turn N of the
raw client's. The raw client is ~30 lines of httpx: it keeps its own messages, posts
the same request the engine posts (streamed, usage in every chunk, the same max
tokens), reads the clock as each event line arrives and takes the first chunk whose
usage counts a token. Both clocks start before the request body is built, and both
clients scrape /metrics just before their turn (the engine does, for its histogram
deltas). The server's TTFT of each request is the delta of
`vllm:time_to_first_token_seconds_sum` across it (the only request in flight).

Printed: per turn both TTFTs and decode rates; the median ratio of the TTFTs (target
1.00 +- 0.03) and of the decode rates (1.00 +- 0.05); and for each client the median
of its TTFT minus the server's (what the client and the transport add).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vlmconsole.model.run_settings import RunSettings  # noqa: E402
from vlmconsole.model.window_policy import WindowPolicy  # noqa: E402
from vlmconsole.settings import ApiKey  # noqa: E402
from vlmconsole.sources.endpoint import parse_endpoint  # noqa: E402
from vlmconsole.sources.image_transport import make_transport  # noqa: E402
from vlmconsole.sources.journal import Journal  # noqa: E402
from vlmconsole.sources.screenshots import ImageAsset, synthetic_asset  # noqa: E402
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine  # noqa: E402

MAX_TOKENS = 16
TTFT_SUM = "vllm:time_to_first_token_seconds_sum"
TTFT_COUNT = "vllm:time_to_first_token_seconds_count"
DECODE_SUM = "vllm:request_decode_time_seconds_sum"
DECODE_COUNT = "vllm:request_decode_time_seconds_count"
SUMS = (TTFT_SUM, TTFT_COUNT, DECODE_SUM, DECODE_COUNT)


@dataclass
class Measured:
    ttft_s: float | None
    decode_tok_s: float | None
    server_ttft_s: float | None
    build_s: float | None = None
    """Building the request: the engine's from its HTTP trace, the raw client's json.dumps."""
    server_decode_tok_s: float | None = None
    """The server's decode rate of the same request: (tokens - 1) / its decode time."""


def server_sums(client: httpx.Client) -> dict[str, float]:
    """Returns the server's TTFT and decode-time histograms' sums and counts."""
    found = dict.fromkeys(SUMS, 0.0)
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name in found:
                found[sample.name] += sample.value
    return found


def server_side(
    client: httpx.Client, before: dict[str, float]
) -> tuple[float | None, float | None]:
    """Returns the one request's TTFT and decode time once the server counted it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = server_sums(client)
        counts = [after[n] - before[n] for n in (TTFT_COUNT, DECODE_COUNT)]
        if counts == [1, 1]:
            return after[TTFT_SUM] - before[TTFT_SUM], after[DECODE_SUM] - before[DECODE_SUM]
        if max(counts) > 1:
            return None, None  # another request was in flight: no clean delta
        time.sleep(0.05)
    return None, None


class RawClient:
    """The minimal streaming client: its own messages, the same request body."""

    def __init__(self, base_url: str, key: str | None, model: str) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=120)
        self.model = model
        self.messages: list[dict[str, Any]] = []

    def turn(self, text: str, image: ImageAsset) -> Measured:
        before = server_sums(self.http)  # as the engine scrapes just before its turn
        sent = time.perf_counter()  # as the engine's clock: building the body counts
        url = f"data:{image.mime};base64,{base64.b64encode(image.data).decode()}"
        user = {
            "role": "user",
            "content": [
                {"type": "text", "text": text},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
        body = json.dumps(
            {
                "model": self.model,
                "messages": [*self.messages, user],
                "max_tokens": MAX_TOKENS,
                "stream": True,
                "stream_options": {"include_usage": True, "continuous_usage_stats": True},
            }
        ).encode()
        built = time.perf_counter() - sent
        arrivals: list[tuple[float, int]] = []
        seen, reply = 0, []
        with self.http.stream(
            "POST",
            "/v1/chat/completions",
            content=body,
            headers={"Content-Type": "application/json"},
        ) as response:
            for line in response.iter_lines():
                at = time.perf_counter()
                if not line.startswith("data:") or "[DONE]" in line:
                    continue
                chunk = json.loads(line[5:])
                choices = chunk.get("choices") or []
                if choices:
                    reply.append((choices[0].get("delta") or {}).get("content") or "")
                    count = (chunk.get("usage") or {}).get("completion_tokens") or 0
                    if count > seen:
                        arrivals.append((at, count - seen))
                        seen = count
        self.messages += [user, {"role": "assistant", "content": "".join(reply)}]
        first = arrivals[0][0] - sent if arrivals else None
        after = sum(tokens for _, tokens in arrivals[1:])
        span = arrivals[-1][0] - arrivals[0][0] if arrivals else 0.0
        rate = after / span if span > 0 and after > 0 else None
        server_ttft, decode_s = server_side(self.http, before)
        server_rate = (seen - 1) / decode_s if decode_s and seen >= 2 else None
        return Measured(first, rate, server_ttft, built, server_rate)


async def main_async(args: argparse.Namespace) -> None:
    width, height = (int(v) for v in args.size.split("x"))
    base = 1000 * (int(time.time()) % 100_000)  # screenshots this server has not seen
    settings = RunSettings(args.model, WindowPolicy(), max_tokens=MAX_TOKENS)
    out = Path(tempfile.mkdtemp(prefix="bench-fidelity-"))
    engine = TurnEngine(
        parse_endpoint(args.server),
        ApiKey(args.api_key) if args.api_key else None,
        RunConfig("fidelity", settings),
        make_transport("base64", out),
        Journal(out / "journal.jsonl"),
        120,
    )
    raw = RawClient(args.server, args.api_key, args.model)
    await engine.start()
    ours: list[Measured] = []
    theirs: list[Measured] = []
    print(f"{args.turns} turns each on {args.server}, {width}x{height}, max {MAX_TOKENS} tokens")
    print(
        f"  {'turn':>4} {'engine TTFT':>12} {'raw TTFT':>10} {'engine tok/s':>13} {'raw tok/s':>10}"
    )
    try:
        for n in range(args.turns):
            words = f"What changed on screen {n}?"
            record = await engine.send(words, [synthetic_asset(width, height, base + n)])
            server = record.server.ttft_s if record.server is not None else None
            build = record.http.build_s if record.http is not None else None
            ours.append(
                Measured(
                    record.ttft_s, record.decode_tok_s, server, build, record.server_decode_tok_s
                )
            )
            theirs.append(raw.turn(words, synthetic_asset(width, height, base + 500 + n)))
            a, b = ours[-1], theirs[-1]
            print(
                f"  {n + 1:>4} {ms(a.ttft_s):>12} {ms(b.ttft_s):>10}"
                f" {rate(a.decode_tok_s):>13} {rate(b.decode_tok_s):>10}"
            )
    finally:
        await engine.aclose()
    ttft_ratio = median_ratio([(a.ttft_s, b.ttft_s) for a, b in zip(ours, theirs, strict=True)])
    decode_ratio = median_ratio(
        [(a.decode_tok_s, b.decode_tok_s) for a, b in zip(ours, theirs, strict=True)]
    )
    ttft_met, decode_met = abs(ttft_ratio - 1) <= 0.03, abs(decode_ratio - 1) <= 0.05
    print(
        f"median TTFT ratio engine / raw: {ttft_ratio:.3f}"
        f" (target 1.00 +- 0.03: {verdict(ttft_met)})"
    )
    print(
        f"median decode ratio engine / raw: {decode_ratio:.3f}"
        f" (target 1.00 +- 0.05: {verdict(decode_met)})"
    )
    # each client against the server's own rate for the same request: the CPU server's
    # decode rate varies turn to turn more than either client's reading of it
    normalized = median_ratio(
        [
            (
                a.decode_tok_s / a.server_decode_tok_s
                if a.decode_tok_s and a.server_decode_tok_s
                else None,
                b.decode_tok_s / b.server_decode_tok_s
                if b.decode_tok_s and b.server_decode_tok_s
                else None,
            )
            for a, b in zip(ours, theirs, strict=True)
        ]
    )
    print(
        f"  the same, each client's rate over the server's for its request: {normalized:.3f}"
        f" (1.00 +- 0.05: {verdict(abs(normalized - 1) <= 0.05)})"
    )
    for name, runs in (("engine", ours), ("raw", theirs)):
        deltas = [
            m.ttft_s - m.server_ttft_s
            for m in runs
            if m.ttft_s is not None and m.server_ttft_s is not None
        ]
        shown = (
            f"{statistics.median(deltas) * 1000:.1f} ms over {len(deltas)} turns"
            if deltas
            else "no clean deltas"
        )
        builds = [m.build_s for m in runs if m.build_s is not None]
        built = f"{statistics.median(builds) * 1000:.1f} ms" if builds else "not known"
        print(f"  {name} TTFT minus the server's: median {shown}; building the request: {built}")


def median_ratio(pairs: list[tuple[float | None, float | None]]) -> float:
    ratios = [a / b for a, b in pairs if a is not None and b]
    return statistics.median(ratios) if ratios else float("nan")


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the vLLM server's URL")
    parser.add_argument("--model", default="vlmconsole-tiny-idefics3")
    parser.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY"))
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--size", default="1280x720")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
