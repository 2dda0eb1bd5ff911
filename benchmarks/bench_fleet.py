"""Fleet benchmarks: 50 and 200 demo instances behind one real Prometheus.

    .venv/bin/python benchmarks/bench_fleet.py [--sizes 50,200] [--refreshes 10]
        [--scrape-interval 5] [--runs 3]

Needs Debian's prometheus (scripts/setup_prometheus.sh) and tmux. For each size N,
side by side in one run:
- one `python -m vlmconsole demo --headless --instances N` process (N stand-in vLLM
  servers, idle) and one Prometheus scraping them every --scrape-interval seconds;
  measured once every target is up and has been scraped three times;
- time to first fleet screen: `python -m vlmconsole fleet --prometheus URL` started in a
  200x60 tmux pane, the clock started just before `tmux new-session`, the pane read
  every 20 ms until the totals line says "N instances"; median of --runs;
- refresh cost per tick: `FleetSource.read()` as the fleet screen calls it (the combined
  query and the target list, parsed into rows with their findings), wall time, median
  and max of --refreshes; and the screen's redraw (in `App.run_test`), median of
  --refreshes: after a refresh (`FleetScreen._draw` of a new reading of the same rows:
  the cells that changed) and after `r` (the rows in another order: every row anew);
- requests per refresh: the HTTP requests one refresh sends to Prometheus, and the
  ratio between the largest and the smallest size.
Targets: refresh under 1 s at 200 instances; the same number of requests at every size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.prometheus import RealPrometheus  # noqa: E402
from tests.support.tmux import TmuxSession  # noqa: E402
from vlmconsole.model.fleet_queries import FleetQuery  # noqa: E402
from vlmconsole.sources.endpoint import Endpoint  # noqa: E402
from vlmconsole.sources.fleet_source import FleetSource  # noqa: E402
from vlmconsole.sources.prometheus_api import PrometheusApi  # noqa: E402


def start_demos(count: int) -> tuple[subprocess.Popen[str], list[str]]:
    """Starts N demo servers in one process; returns it and their host:port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vlmconsole", "demo", "--headless", "--instances", str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    where = line.split(" on ", 1)[1].split(" (the API", 1)[0]
    return process, [url.removeprefix("http://") for url in where.split(", ")]


def wait_scraped(prometheus: RealPrometheus, count: int, interval_s: float) -> None:
    prometheus.wait_for('up{job="vllm"} == 1', count, timeout_s=120)
    prometheus.wait_for("vllm:num_requests_running", count, timeout_s=120)
    time.sleep(3 * interval_s)


def first_screen(prometheus: RealPrometheus, count: int, window: str) -> float | None:
    screen = TmuxSession(f"bench-fleet-{count}")
    command = (
        f"cd {REPO} && {sys.executable} -m vlmconsole fleet --prometheus {prometheus.url}"
        f" --window {window}"
    )
    started = time.monotonic()
    screen.start(command, (200, 60))
    try:
        deadline = started + 30
        while time.monotonic() < deadline:
            if f"{count} instances" in screen.screen():
                return time.monotonic() - started
            time.sleep(0.02)
        return None
    finally:
        screen.close()


async def refresh_costs(
    prometheus: RealPrometheus, refreshes: int, window: str
) -> tuple[list[float], list[int], int]:
    source = FleetSource(PrometheusApi(Endpoint(prometheus.url)), FleetQuery(window=window))
    took, requests, rows = [], [], 0
    try:
        await source.read()  # the first one asks each instance its version: not a tick
        for _ in range(refreshes):
            started = time.perf_counter()
            reading = await source.read()
            took.append(time.perf_counter() - started)
            requests.append(reading.requests)
            rows = len(reading.rows)
    finally:
        await source.aclose()
    return took, requests, rows


async def redraw_costs(
    prometheus: RealPrometheus, refreshes: int, window: str
) -> tuple[list[float], list[float]]:
    """Returns the screen's redraw after a refresh (a new reading of the same rows: the
    cells that changed) and after a sort (`r`: every row anew), seconds each."""
    from vlmconsole.ui.fleet_app import FleetApp

    source = FleetSource(PrometheusApi(Endpoint(prometheus.url)), FleetQuery(window=window))
    app = FleetApp(source, prometheus.url, window, refresh_s=3600)
    refreshed, sorted_anew = [], []
    async with app.run_test(size=(200, 60)) as pilot:
        screen = app.fleet_screen
        deadline = time.monotonic() + 30
        while screen.reading is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        for _ in range(refreshes):
            screen.reading = await source.read()
            started = time.perf_counter()
            screen._draw()
            await pilot.pause()
            refreshed.append(time.perf_counter() - started)
            started = time.perf_counter()
            screen.action_reverse()  # the rows in another order: the table filled anew
            await pilot.pause()
            sorted_anew.append(time.perf_counter() - started)
        await source.aclose()
    return refreshed, sorted_anew


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--refreshes", type=int, default=10)
    parser.add_argument("--scrape-interval", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    window = f"{int(args.scrape_interval * 6)}s"
    results = {}
    for count in (int(size) for size in args.sizes.split(",")):
        demos, targets = start_demos(count)
        prometheus = RealPrometheus(targets, interval_s=args.scrape_interval)
        try:
            prometheus.start()
            wait_scraped(prometheus, count, args.scrape_interval)
            screens = [first_screen(prometheus, count, window) for _ in range(args.runs)]
            took, requests, rows = asyncio.run(refresh_costs(prometheus, args.refreshes, window))
            redraw, anew = asyncio.run(redraw_costs(prometheus, args.refreshes, window))
        finally:
            prometheus.stop()
            demos.terminate()
            demos.wait(timeout=60)
        shown = [s for s in screens if s is not None]
        results[count] = (shown, took, requests, rows, redraw, anew)
        print(
            f"\n{count} instances (rows read: {rows}), scrape interval {args.scrape_interval:g} s"
        )
        first = f"{statistics.median(shown):.2f} s" if shown else "never"
        print(f"  first fleet screen   median {first} of {len(screens)} ({len(shown)} shown)")
        print(
            f"  refresh (read)       median {statistics.median(took) * 1000:.0f} ms,"
            f" max {max(took) * 1000:.0f} ms over {len(took)}"
        )
        print(
            f"  redraw, a refresh    median {statistics.median(redraw) * 1000:.0f} ms"
            " (the cells that changed)"
        )
        print(f"  redraw, a sort       median {statistics.median(anew) * 1000:.0f} ms (every row)")
        print(f"  requests / refresh   {sorted(set(requests))}")
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    ratio = statistics.mean(results[large][2]) / statistics.mean(results[small][2])
    worst = max(results[large][1]) + statistics.median(results[large][4])
    print(f"\nrequests per refresh, {large} over {small} instances: {ratio:.2f}x (target 1.00x)")
    print(
        f"refresh at {large} instances (slowest read + median redraw): {worst:.2f} s"
        f" (target under 1 s): {'met' if worst < 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
