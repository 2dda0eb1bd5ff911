"""Observe benchmarks: the cost of one console tick, and the CPU share of `status --watch 1`.

    .venv/bin/python benchmarks/bench_observe.py [--server URL] [--seconds 60]

Pinned to one core. Uses the real vLLM CPU test server (started here; or
--server URL for one already running, with VLLM_API_KEY set if it needs one).

1. Parse + derive of the real 60 KB capture tests/fixtures/metrics/vllm-0.32.0-after.txt:
   - cold: a fresh parser, every metric family parsed (the worst case);
   - incremental: one parser across scrapes, as the console runs (unchanged
     families are not parsed again);
   - side by side: prometheus-client parsing the whole page, as a naive
     scraper would. Target: under 10 ms.
2. A whole tick against the real server: HTTP GET /metrics over loopback + parse
   + derive (the wait includes vLLM producing the page in its own process).
3. `vlmconsole status SERVER --watch 1` for --seconds, its CPU time read from
   /proc after 3 s of start-up. Target: under 2% of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from tests.support.fixtures import metrics_page  # noqa: E402
from tests.support.real_vllm import RealVllmServer, free_port  # noqa: E402
from vlmconsole.model.rates import MetricsHistory  # noqa: E402
from vlmconsole.model.server_stats import derive_stats  # noqa: E402
from vlmconsole.model.snapshot import MetricsParser  # noqa: E402
from vlmconsole.settings import load_settings  # noqa: E402
from vlmconsole.sources.endpoint import parse_endpoint  # noqa: E402
from vlmconsole.sources.metrics_scrape import MetricsSource  # noqa: E402

ROUNDS = 300


def timed(rounds: int, step: Callable[[int], object]) -> list[float]:
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        step(i)
        samples.append(time.perf_counter() - start)
    return samples


def summary(name: str, samples_s: list[float]) -> float:
    ordered = sorted(samples_s)
    median = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    print(f"  {name:<44} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    return median


def parse_costs(page: str) -> None:
    print(f"1. parse + derive of a {len(page.encode()) / 1000:.0f} KB real page, {ROUNDS} rounds")
    history = MetricsHistory()
    kept_parser = MetricsParser()

    def cold_step(i: int) -> None:
        history.add(MetricsParser().parse(page, i))
        derive_stats(history)

    def incremental_step(i: int) -> None:
        history.add(kept_parser.parse(page, ROUNDS + i))
        derive_stats(history)

    cold = summary("cold (every family parsed)", timed(ROUNDS, cold_step))
    summary("incremental (the console's steady state)", timed(ROUNDS, incremental_step))

    def whole_page(_i: int) -> None:
        for family in text_string_to_metric_families(page):
            list(family.samples)

    naive = summary("prometheus-client on the whole page", timed(ROUNDS, whole_page))
    print(
        f"  target < 10 ms (cold): {'met' if cold < 10 else 'MISSED'};"
        f" whole-page parse takes {naive / cold:.1f}x our cold parse + derive"
    )


async def tick_costs(server_url: str) -> None:
    settings = load_settings()
    source = MetricsSource(parse_endpoint(server_url), settings.api_key, 10.0)
    history = MetricsHistory()
    samples = []
    for _ in range(100):
        start = time.perf_counter()
        history.add(await source.scrape())
        derive_stats(history)
        samples.append(time.perf_counter() - start)
    await source.aclose()
    page_kb = (history.latest.page_bytes if history.latest else 0) / 1000
    print(f"2. one tick against the real server ({page_kb:.0f} KB page), 100 rounds")
    summary("GET /metrics + parse + derive", samples)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def watch_cpu_share(server_url: str, seconds: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "vlmconsole", "status", server_url, "--watch", "1"],
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        start_ticks, start = cpu_ticks(process.pid), time.monotonic()
        time.sleep(seconds)
        used_s = (cpu_ticks(process.pid) - start_ticks) / os.sysconf("SC_CLK_TCK")
        elapsed = time.monotonic() - start
    finally:
        process.terminate()
        process.wait(timeout=10)
    share = used_s / elapsed * 100
    print(f"3. `vlmconsole status {server_url} --watch 1`, {elapsed:.0f} s after start-up")
    print(
        f"  CPU {used_s:.2f} s in {elapsed:.0f} s = {share:.2f}% of a core;"
        f" target < 2%: {'met' if share < 2 else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="an already running vLLM (default: start the test one)")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    parse_costs(metrics_page("vllm-0.32.0-after"))
    server: RealVllmServer | None = None
    url = args.server
    if url is None:
        log = Path(tempfile.mkdtemp()) / "server.log"
        server = RealVllmServer(port=free_port(), log_path=log, api_key="bench-key")
        server.start()
        server.wait_healthy()
        os.environ["VLLM_API_KEY"] = "bench-key"
        url = server.base_url
    try:
        asyncio.run(tick_costs(url))
        watch_cpu_share(url, args.seconds)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
