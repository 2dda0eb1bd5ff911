"""A real Prometheus for the fleet tests: Debian's package, on 127.0.0.1, 1 s scrapes.

`RealPrometheus(targets)` writes a config that scrapes each target (`host:port`)
under the job `vllm`, starts `prometheus` with a temporary TSDB and waits until it
is ready. Targets can be changed while it runs (`set_targets`, then a reload over
`/-/reload`). Installed by scripts/setup_prometheus.sh.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.support.real_vllm import free_port

SCRAPE_INTERVAL_S = 1.0


class PrometheusMissing(RuntimeError):
    """Debian's prometheus is not installed."""


def prometheus_binary() -> str:
    """Returns the `prometheus` program; raises PrometheusMissing with what to do."""
    found = shutil.which("prometheus")
    if found is None:
        raise PrometheusMissing(
            "prometheus is not installed: run scripts/setup_prometheus.sh (Debian's package)"
        )
    return found


class RealPrometheus:
    """One Prometheus process scraping the given targets every second."""

    def __init__(
        self, targets: Sequence[str], job: str = "vllm", interval_s: float = SCRAPE_INTERVAL_S
    ) -> None:
        self.port = free_port()
        self.interval_s = interval_s
        self.job = job
        self.targets = list(targets)
        self.folder = Path(tempfile.mkdtemp(prefix="vlmconsole-prometheus-"))
        self.config = self.folder / "prometheus.yml"
        self.log_path = self.folder / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Returns Prometheus' root URL."""
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        listed = ", ".join(f"'{target}'" for target in self.targets)
        self.config.write_text(
            "global:\n"
            f"  scrape_interval: {self.interval_s:g}s\n"
            f"  scrape_timeout: {self.interval_s:g}s\n"
            f"  evaluation_interval: {self.interval_s:g}s\n"
            "scrape_configs:\n"
            f"  - job_name: '{self.job}'\n"
            f"    static_configs:\n"
            f"      - targets: [{listed}]\n"
        )

    def start(self, timeout_s: float = 60) -> None:
        """Starts Prometheus and waits until it answers ready."""
        self._write_config()
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                prometheus_binary(),
                f"--config.file={self.config}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                "--web.enable-lifecycle",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready in {timeout_s} s: {self.log_tail()}")

    def set_targets(self, targets: Sequence[str]) -> None:
        """Scrapes `targets` from now on (the config is rewritten and reloaded)."""
        self.targets = list(targets)
        self._write_config()
        httpx.post(f"{self.url}/-/reload", timeout=5).raise_for_status()

    def query(self, expr: str) -> list[dict[str, object]]:
        """Returns the instant vector `expr` evaluates to (for the tests' own checks)."""
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5).json()
        assert body["status"] == "success", body
        result: list[dict[str, object]] = body["data"]["result"]
        return result

    def wait_for(self, expr: str, count: int, timeout_s: float = 30) -> list[dict[str, object]]:
        """Waits (bounded) until `expr` has at least `count` series; returns them."""
        deadline = time.monotonic() + timeout_s
        result: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            result = self.query(expr)
            if len(result) >= count:
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr!r}: {len(result)} series after {timeout_s} s, not {count}")

    def log_tail(self) -> str:
        """Returns the end of Prometheus' log."""
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stops Prometheus and removes its data."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
