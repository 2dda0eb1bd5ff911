"""Reading a streamed reply: the openai SDK's chunk models vs the raw events the
console now reads, side by side in one run, on one core.

Each of N chunks is a real vLLM 0.32.0 streaming chunk with continuous usage (the
shape the server sends for every token). (a) is what `AsyncStream` does per chunk:
JSON decode, then build the `ChatCompletionChunk` model; (b) is what `ChatSource`
does now: JSON decode and read the fields it needs from the dict.

    .venv/bin/python benchmarks/bench_stream.py [--chunks 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from openai._models import construct_type
from openai.types.chat import ChatCompletionChunk

CHUNK = {
    "id": "chatcmpl-8f1c2a",
    "object": "chat.completion.chunk",
    "created": 1796112000,
    "model": "vlmconsole-tiny-idefics3",
    "choices": [
        {"index": 0, "delta": {"content": " word"}, "logprobs": None, "finish_reason": None}
    ],
    "usage": {"prompt_tokens": 2778, "total_tokens": 2790, "completion_tokens": 12},
}


def sdk_way(lines: list[str]) -> int:
    words = 0
    for line in lines:
        chunk: Any = construct_type(type_=ChatCompletionChunk, value=json.loads(line))
        words += len(chunk.choices[0].delta.content or "")
    return words


def raw_way(lines: list[str]) -> int:
    words = 0
    for line in lines:
        chunk = json.loads(line)
        choices = chunk.get("choices") or []
        delta = (choices[0].get("delta") or {}) if choices else {}
        words += len(delta.get("content") or "")
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    lines = [json.dumps(CHUNK)] * args.chunks
    results: dict[str, list[float]] = {"sdk": [], "raw": []}
    for _ in range(args.rounds):
        for name, way in (("sdk", sdk_way), ("raw", raw_way)):
            started = time.perf_counter()
            assert way(lines) == 5 * args.chunks
            results[name].append(time.perf_counter() - started)
    sdk, raw = (statistics.median(results[k]) for k in ("sdk", "raw"))
    per = 1e6 / args.chunks
    print(f"{args.chunks} streaming chunks, median of {args.rounds} rounds, one core")
    print(f"  openai SDK chunk models   {sdk * 1000:8.1f} ms   {sdk * per:7.1f} µs a chunk")
    print(f"  raw events (the console)  {raw * 1000:8.1f} ms   {raw * per:7.1f} µs a chunk")
    print(
        f"  raw is {sdk / raw:.0f}x cheaper; at 450 tok/s the SDK way costs "
        f"{sdk * per * 450 / 1e4:.1f}% of a core, the raw way {raw * per * 450 / 1e4:.2f}%"
    )


if __name__ == "__main__":
    main()
