"""`bench` refuses the servers `status` refuses, before any file is made."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from tests.support.fake_http import FakeHttp, Handler, json_body, text
from tests.support.fixtures import metrics_page

MODELS = {"object": "list", "data": [{"id": "m", "root": "/models/m", "max_model_len": 4096}]}


def routes(metrics: Handler) -> dict[str, Handler]:
    return {
        "/version": json_body({"version": "0.32.0"}),
        "/health": text(""),
        "/v1/models": json_body(MODELS),
        "/metrics": metrics,
    }


async def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_API_KEY", "OPENAI_API_KEY")}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "vlmconsole", *args],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def not_found(_request: web.Request) -> web.StreamResponse:
    return web.Response(status=404, text="Not Found")


async def test_bench_and_status_refuse_a_server_that_is_not_vllm(tmp_path: Path) -> None:
    go_metrics = "# HELP go_goroutines Goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 8\n"
    for metrics in (text(go_metrics), not_found):
        server = FakeHttp(routes(metrics))
        await server.start()
        try:
            out = tmp_path / "out"
            bench = await run("bench", server.base_url, "--synthetic", "64x64", "--out", str(out))
            status = await run("status", server.base_url, "--sample", "0")
        finally:
            await server.stop()
        assert bench.returncode == 2 and status.returncode == 2, bench.stderr + bench.stdout
        assert bench.stdout == "" and bench.stderr.count("\n") == 1
        assert bench.stderr == status.stderr, "the same one line"
        assert not out.exists(), "nothing made"


async def test_bench_starts_against_a_vllm_metrics_page(tmp_path: Path) -> None:
    server = FakeHttp(routes(text(metrics_page("vllm-0.32.0-rest"))))
    await server.start()
    try:
        bench = await run(
            "bench", server.base_url, "--synthetic", "64x64", "--turns", "1",
            "--out", str(tmp_path / "out"), "--stall-timeout", "2",
        )  # fmt: skip
    finally:
        await server.stop()
    # the fake has no chat endpoint: the turn fails, but the bench got past its checks
    assert bench.returncode == 1, bench.stderr
    assert (tmp_path / "out" / "journal.jsonl").exists()
