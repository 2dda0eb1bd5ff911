"""`vlmconsole fleet` on a real Prometheus (Debian's, 1 s scrapes) scraping the real vLLM
test server and three demo servers (`vlmconsole demo --headless --load`), each run as a
user runs it: the installed program, from a folder outside the checkout.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import program, user_env, vlmconsole, workdir
from tests.support.prometheus import SCRAPE_INTERVAL_S, RealPrometheus
from tests.support.real_vllm import RealVllmServer, free_port
from tests.support.tmux import TmuxSession

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures" / "metrics"
WINDOW = "10s"


class DemoServer:
    """`vlmconsole demo --headless --load --port P`, the installed program."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*program(), "demo", "--headless", "--load", "--port", str(self.port)],
            cwd=workdir(),
            env=user_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "serving" in line, line

    @property
    def instance(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def fleet(vllm_server: RealVllmServer) -> Iterator[tuple[RealPrometheus, list[DemoServer]]]:
    demos = [DemoServer() for _ in range(3)]
    prometheus = RealPrometheus([f"127.0.0.1:{vllm_server.port}", *(d.instance for d in demos)])
    try:
        prometheus.start()
        prometheus.wait_for('up{job="vllm"} == 1', 4)
        prometheus.wait_for("vllm:num_requests_running", 4)
        time.sleep(6 * SCRAPE_INTERVAL_S)  # a few scrapes in the window: rates are defined
        yield prometheus, demos
    finally:
        prometheus.stop()
        for demo in demos:
            demo.stop()


def fleet_json(prometheus: RealPrometheus, *args: str) -> dict[str, Any]:
    done = vlmconsole("fleet", "--prometheus", prometheus.url, "--json", "--window", WINDOW, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    data: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return data


def fleet_watch(
    prometheus: RealPrometheus, count: int, refresh_s: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Starts `fleet --json --count N --refresh S`; returns it and its first refresh."""
    watch = subprocess.Popen(
        [
            *program(),
            "fleet",
            "--prometheus",
            prometheus.url,
            "--json",
            "--count",
            str(count),
            "--refresh",
            str(refresh_s),
            "--window",
            WINDOW,
        ],
        cwd=workdir(),
        env=user_env(),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert watch.stdout is not None
    first: dict[str, Any] = json.loads(watch.stdout.readline())
    return watch, first


def status_json(port: int, server: RealVllmServer | None) -> dict[str, Any]:
    done = vlmconsole("status", f":{port}", "--json", "--sample", "0", server=server)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def spread(prometheus: RealPrometheus, expr: str, seconds: float) -> float:
    """Returns how much `expr` moved over the last `seconds` and one scrape more: the
    difference two readers of the same gauge can see, one through Prometheus' last
    scrape, the other from the server a moment later."""
    span = f"{int(seconds + 2 * SCRAPE_INTERVAL_S + 1)}s"
    found = prometheus.query(
        f"max_over_time(({expr})[{span}:200ms]) - min_over_time(({expr})[{span}:200ms])"
    )
    return float(found[0]["value"][1]) if found else 0.0  # type: ignore[index]


def test_fleet_lists_each_instance_with_what_status_reports_for_it(
    fleet: tuple[RealPrometheus, list[DemoServer]], vllm_server: RealVllmServer
) -> None:
    prometheus, demos = fleet
    started = time.monotonic()
    data = fleet_json(prometheus)
    rows = {row["instance"]: row for row in data["instances"]}
    servers: dict[str, tuple[int, RealVllmServer | None]] = {
        f"127.0.0.1:{vllm_server.port}": (vllm_server.port, vllm_server),
        **{demo.instance: (demo.port, None) for demo in demos},
    }
    assert sorted(rows) == sorted(servers), data
    assert data["requests"] == 2, "a refresh is one query and the target list"
    assert data["totals"]["instances"] == 4 and data["totals"]["up"] == 4
    for instance, (port, server) in servers.items():
        row = rows[instance]
        status = status_json(port, server)
        scope = status["scopes"][0]
        assert row["health"] == "up" and row["job"] == "vllm"
        assert row["version"] == status["server"]["version"], row
        assert row["models"] == [m["id"] for m in status["server"]["models"]]
        where = f'{{instance="{instance}"}}'
        for column, metric in [
            ("kv_cache_usage", "vllm:kv_cache_usage_perc"),
            ("running", "vllm:num_requests_running"),
            ("waiting", "vllm:num_requests_waiting"),
        ]:
            since = time.monotonic() - started
            allowed = spread(prometheus, f"sum({metric}{where})", since) + 1e-9
            assert abs(row[column] - scope[column]) <= allowed, (instance, column, row, scope)
        assert row["prefix_cache_hit_rate"] is None or 0 <= row["prefix_cache_hit_rate"] <= 1
    loaded = [rows[demo.instance] for demo in demos]
    assert all(row["generation_tokens_per_s"] > 0 for row in loaded), loaded
    assert all(row["ttft_p50_s"] is not None for row in loaded), loaded


def test_fleet_rates_are_the_ones_status_measures(
    fleet: tuple[RealPrometheus, list[DemoServer]],
) -> None:
    """A demo server's token rates over 10 s, read by `status --watch` from the server and
    by `fleet` from Prometheus at the same moment: apart by at most what one scrape at
    each end of the window can add."""
    prometheus, demos = fleet
    demo = demos[0]
    watch = subprocess.Popen(
        [*program(), "status", f":{demo.port}", "--json", "--watch", "1", "--count", "12"],
        cwd=workdir(),
        env=user_env(),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    out, _ = watch.communicate(timeout=60)
    data = fleet_json(prometheus, "--filter", f"instance={demo.instance}")
    scope = json.loads(out.splitlines()[-1])["scopes"][0]
    (row,) = data["instances"]
    where = f'{{instance="{demo.instance}"}}'
    for column, counter in [
        ("generation_tokens_per_s", "vllm:generation_tokens_total"),
        ("prompt_tokens_per_s", "vllm:prompt_tokens_total"),
    ]:
        one_scrape = f"{counter}{where} - {counter}{where} offset 1s"
        peak = prometheus.query(f"max_over_time(({one_scrape})[12s:1s])")
        per_scrape = float(peak[0]["value"][1]) if peak else 0.0  # type: ignore[index]
        allowed = 2 * per_scrape / 10 + 0.5
        assert abs(row[column] - scope[column]) <= allowed, (column, row[column], scope[column])


def test_a_stopped_server_turns_down_within_two_scrapes(
    fleet: tuple[RealPrometheus, list[DemoServer]],
) -> None:
    prometheus, demos = fleet
    demo = demos[-1]
    watch, first = fleet_watch(prometheus, 40, 0.25)
    assert {r["instance"]: r["health"] for r in first["instances"]}[demo.instance] == "up"
    demo.stop()
    stopped_at = time.monotonic()
    down_after: float | None = None
    detail = ""
    for line in watch.stdout or ():
        rows = {r["instance"]: r for r in json.loads(line)["instances"]}
        if rows[demo.instance]["health"] == "down":
            down_after = time.monotonic() - stopped_at
            detail = rows[demo.instance]["health_detail"]
            break
    watch.terminate()
    watch.wait(timeout=20)
    assert down_after is not None, "the stopped server never turned down"
    # two scrape intervals, plus one refresh and its query
    assert down_after <= 2 * SCRAPE_INTERVAL_S + 0.25 + 0.5, down_after
    assert "refused" in detail or "connect" in detail, detail


def test_enter_on_a_row_opens_the_console_on_that_instance(
    fleet: tuple[RealPrometheus, list[DemoServer]], vllm_server: RealVllmServer
) -> None:
    prometheus, _demos = fleet
    key = f"VLLM_API_KEY='{vllm_server.api_key}' " if vllm_server.api_key else ""
    command = (
        f"cd {workdir()} && env {key}TERM=xterm-256color {program()[0]} fleet"
        f" --prometheus {prometheus.url} --window {WINDOW} --filter instance~:{vllm_server.port}"
    )
    screen = TmuxSession("vlmconsole-fleet")
    screen.start(command)
    try:
        shown = screen.wait_for(
            "the real server's row", lambda s: f"127.0.0.1:{vllm_server.port}" in s, 30
        )
        assert "1 instances, 1 up" not in shown  # the totals count the whole fleet
        assert "hidden by the filter" in shown
        screen.press("Enter")
        # the console's header names the model once its first scrape is in
        header = f"vlmconsole http://127.0.0.1:{vllm_server.port}"
        console = screen.wait_for(
            "the console on it",
            lambda s: header in s and vllm_server.model in s and "fleet · Prometheus" not in s,
            60,
        )
        assert "KV cache" in console
        screen.press("q")
        screen.wait_for("the fleet again", lambda s: "fleet · Prometheus" in s, 30)
    finally:
        screen.close()


@pytest.fixture()
def v0_page_server() -> Iterator[str]:
    """Serves a V0 engine's /metrics page (old names: gpu_cache_usage_perc,
    time_per_output_token_seconds), as an old vLLM in a fleet would."""
    page = (FIXTURES / "vllm-v0-t1.txt").read_bytes()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            if self.path == "/metrics":
                self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{http.server_address[1]}"
    finally:
        http.shutdown()


def test_an_instance_on_old_metric_names_fills_the_same_columns(v0_page_server: str) -> None:
    prometheus = RealPrometheus([v0_page_server])
    try:
        prometheus.start()
        prometheus.wait_for("vllm:gpu_cache_usage_perc", 1)
        data = fleet_json(prometheus)
    finally:
        prometheus.stop()
    (row,) = data["instances"]
    page = (FIXTURES / "vllm-v0-t1.txt").read_text()
    usage = next(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("vllm:gpu_cache_usage_perc")
    )
    assert row["health"] == "up" and row["kv_cache_usage"] == pytest.approx(usage)
    assert row["running"] is not None


def test_bad_prometheus_addresses_and_queries_get_one_line_each(
    fleet: tuple[RealPrometheus, list[DemoServer]],
) -> None:
    prometheus, demos = fleet
    closed = free_port()
    cases = [
        (["--prometheus", f"127.0.0.1:{closed}"], "cannot reach Prometheus at"),
        (["--prometheus", demos[0].instance], "without Prometheus' JSON"),
        (["--prometheus", prometheus.url, "--match", 'job=~"("'], "Prometheus refused the query"),
        (["--prometheus", prometheus.url, "--match", "job=vllm"], "is not a label matcher"),
        (["--prometheus", prometheus.url, "--window", "10"], "not a PromQL duration"),
        (["--prometheus", prometheus.url, "--sort", "speed"], "--sort 'speed'"),
    ]
    for args, said in cases:
        done = vlmconsole("fleet", *args, "--json")
        text = done.stdout + done.stderr
        assert done.returncode == 2, (args, text)
        assert said in text, (args, text)
        assert "Traceback" not in text
        assert len([line for line in done.stderr.splitlines() if line.strip()]) <= 1, text


def test_a_prometheus_that_scrapes_no_vllm_says_so() -> None:
    prometheus = RealPrometheus([])  # scrapes nothing (its own job has no targets)
    try:
        prometheus.start()
        done = vlmconsole("fleet", "--prometheus", prometheus.url, "--json")
    finally:
        prometheus.stop()
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["instances"] == []
    assert "scrapes no vLLM server" in data["note"]


def test_attach_through_prometheus_shows_the_instance(
    fleet: tuple[RealPrometheus, list[DemoServer]],
) -> None:
    prometheus, demos = fleet
    demo = demos[1]
    command = (
        f"cd {workdir()} && env TERM=xterm-256color {program()[0]} attach"
        f" --prometheus {prometheus.url} --instance {demo.instance}"
    )
    screen = TmuxSession("vlmconsole-through-prometheus")
    screen.start(command)
    try:
        shown = screen.wait_for("the instance's metrics", lambda s: "running" in s, 30)
        assert "scraped by Prometheus" in shown or demo.instance in shown, shown
        screen.press("q")
    finally:
        screen.close()
    wrong = vlmconsole("attach", "--prometheus", prometheus.url, "--instance", "nowhere:1")
    assert wrong.returncode == 2 and "scrapes no instance 'nowhere:1'" in wrong.stderr
    assert httpx.get(f"{prometheus.url}/-/ready", timeout=5).status_code == 200


def test_an_instance_prometheus_stops_scraping_is_listed_as_gone() -> None:
    demo = DemoServer()
    prometheus = RealPrometheus([demo.instance])
    try:
        prometheus.start()
        prometheus.wait_for("vllm:num_requests_running", 1)
        watch, first = fleet_watch(prometheus, 60, 0.5)
        assert [r["health"] for r in first["instances"]] == ["up"]
        prometheus.set_targets([])  # the scrape config no longer names it
        health = []
        for line in watch.stdout or ():
            (row,) = json.loads(line)["instances"]
            health.append(row["health"])
            if row["health"] == "gone":
                break
        watch.terminate()
        watch.wait(timeout=20)
    finally:
        prometheus.stop()
        demo.stop()
    assert health[-1] == "gone", health
    assert row["health_detail"] == "Prometheus no longer scrapes it"
