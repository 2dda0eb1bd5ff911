"""Captures real /metrics pages from the vLLM CPU test server, at rest and under load.

    .venv/bin/python scripts/capture_metrics.py [--out tests/fixtures/metrics]

Starts the test server (tests/support/real_vllm.py), saves the page at rest,
sends concurrent image turns and saves a page after they finished. Then starts a
second server with a KV cache of only 44 blocks (5,632 tokens), so that two
~2,600-token requests fit at prefill but not through decode, sends the same
turns and saves a page while some run, some wait and some were preempted.
Writes what it sent to `capture-log.json` beside the pages.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.real_vllm import RealVllmServer, free_port  # noqa: E402
from vlmconsole.sources.synthetic_images import synthetic_screenshot  # noqa: E402

CONCURRENT = 6
IMAGES_PER_REQUEST = 3
MAX_TOKENS = 256
PRESSURE_BLOCKS = 44


def image_turn(base_url: str, model: str, seed: int, results: list[dict[str, object]]) -> None:
    content: list[dict[str, object]] = [{"type": "text", "text": f"Request {seed}: describe."}]
    for i in range(IMAGES_PER_REQUEST):
        png = synthetic_screenshot(1280, 720, seed=seed * 100 + i)
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        content.append({"type": "image_url", "image_url": {"url": url}})
    body = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": MAX_TOKENS,
        "ignore_eos": True,
    }
    response = httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=600)
    response.raise_for_status()
    results.append(response.json()["usage"])


def page(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=10).text


def run_turns(
    server: RealVllmServer, seed0: int, watch: bool
) -> tuple[list[dict[str, object]], str]:
    """Sends the concurrent turns; returns their usages and, when watching, a page under load."""
    results: list[dict[str, object]] = []
    threads = [
        threading.Thread(
            target=image_turn, args=(server.base_url, server.model, seed0 + s, results)
        )
        for s in range(CONCURRENT)
    ]
    for thread in threads:
        thread.start()
    under_load = ""
    deadline = time.monotonic() + 300
    while watch and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        text = page(server.base_url)
        lines = text.splitlines()
        waiting = [ln for ln in lines if ln.startswith("vllm:num_requests_waiting{")]
        preempted = [ln for ln in lines if ln.startswith("vllm:num_preemptions_total")]
        if waiting and not waiting[0].endswith(" 0.0"):
            under_load = text
            if preempted and not preempted[0].endswith(" 0.0"):
                break
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return results, under_load


def start(extra_args: tuple[str, ...] = ()) -> RealVllmServer:
    server = RealVllmServer(
        port=free_port(), log_path=Path(tempfile.mkdtemp()) / "server.log", extra_args=extra_args
    )
    server.start()
    server.wait_healthy()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/metrics"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log: dict[str, object] = {
        "requests": CONCURRENT,
        "images_per_request": IMAGES_PER_REQUEST,
        "max_tokens": MAX_TOKENS,
    }
    server = start()
    try:
        (args.out / "vllm-0.32.0-rest.txt").write_text(page(server.base_url))
        results, _ = run_turns(server, seed0=1, watch=False)
        (args.out / "vllm-0.32.0-after.txt").write_text(page(server.base_url))
        log["after"] = {
            "prompt_tokens": sum(int(str(u["prompt_tokens"])) for u in results),
            "completion_tokens": sum(int(str(u["completion_tokens"])) for u in results),
            "server_args": server.command()[3:],
        }
    finally:
        server.stop()
    server = start(("--num-gpu-blocks-override", str(PRESSURE_BLOCKS), "--max-model-len", "5504"))
    try:
        _, under_load = run_turns(server, seed0=101, watch=True)
        (args.out / "vllm-0.32.0-load.txt").write_text(under_load)
        log["load"] = {"server_args": server.command()[3:]}
    finally:
        server.stop()
    (args.out / "capture-log.json").write_text(json.dumps(log, indent=2) + "\n")
    print(json.dumps(log, indent=2))


if __name__ == "__main__":
    main()
