"""Starts and stops the real vLLM CPU server that the e2e tests run against.

The server runs from its own virtual environment (scripts/setup_vllm_venv.sh) and
serves the tiny random-weight Idefics3 model (scripts/build_test_model.py) on
127.0.0.1 and a free port. Its text is gibberish; its timings, metrics, token
counts and cache behaviour are real.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVED_MODEL_NAME = "vlmconsole-tiny-idefics3"
MAX_MODEL_LEN = 32768
STARTUP_TIMEOUT_S = float(os.environ.get("VLMCONSOLE_VLLM_STARTUP_TIMEOUT_S", "420"))


def cache_dir() -> Path:
    """Returns the folder holding the vLLM venv and the test model."""
    return Path(os.environ.get("VLMCONSOLE_CACHE", Path.home() / ".cache" / "vlmconsole"))


def vllm_python() -> Path:
    """Returns the Python of the separate vLLM virtual environment."""
    return cache_dir() / "vllm-venv" / "bin" / "python"


def test_model_dir() -> Path:
    """Returns the folder the test model is built into (see scripts/build_test_model.py)."""
    return cache_dir() / "models" / "tiny-idefics3"


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerStartError(RuntimeError):
    """The vLLM server did not become healthy; the message quotes its log."""


@dataclass
class RealVllmServer:
    """A running vLLM server process on loopback, with its log file."""

    port: int
    log_path: Path
    extra_args: tuple[str, ...] = ()
    api_key: str | None = None
    """When set, the server is started with --api-key and /v1/* need it."""
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Returns the server's root URL, such as http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def model(self) -> str:
        """Returns the served model name."""
        return SERVED_MODEL_NAME

    def command(self) -> list[str]:
        """Returns the command line that starts the server."""
        return [
            str(vllm_python()),
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--model",
            str(test_model_dir()),
            "--served-model-name",
            SERVED_MODEL_NAME,
            "--enforce-eager",
            "--dtype",
            "bfloat16",
            "--max-model-len",
            str(MAX_MODEL_LEN),
            "--limit-mm-per-prompt",
            json.dumps({"image": 64}),
            "--enable-prompt-tokens-details",
            *(("--api-key", self.api_key) if self.api_key else ()),
            *self.extra_args,
        ]

    def start(self) -> None:
        """Starts the process; returns at once (see wait_healthy)."""
        for needed, how in (
            (vllm_python(), "bash scripts/setup_vllm_venv.sh"),
            (test_model_dir() / "config.json", "python scripts/build_test_model.py"),
        ):
            if not needed.exists():
                raise ServerStartError(f"{needed} is missing: run `{how}` (./scripts/test does)")
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "VLLM_CPU_KVCACHE_SPACE": "1",
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
            **self.extra_env,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()

    def log_tail(self, lines: int = 30) -> str:
        """Returns the last lines of the server's log."""
        try:
            with self.log_path.open(errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except FileNotFoundError:
            return "(no log written)"

    def is_healthy(self) -> bool:
        """Returns True when GET /health answers 200."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_healthy(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        """Waits for /health; returns the seconds it took, or raises ServerStartError."""
        assert self.process is not None, "start() first"
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"vLLM exited with code {self.process.returncode} before it was healthy.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            if self.is_healthy():
                return time.monotonic() - started
            time.sleep(0.5)
        raise ServerStartError(
            f"vLLM was not healthy on {self.base_url} after {timeout_s:.0f} s.\n"
            f"Last lines of {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 30) -> None:
        """Stops the server and every process of its group (SIGTERM, then SIGKILL).

        The group goes even when the API server is already dead: a test that SIGKILLs
        only the API server (as `kill -9 PID` would) leaves vLLM's engine and worker
        processes running, ~2 GB each, until the machine runs out of memory.
        """
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the server leads its own group
        if not _signal_group(pgid, signal.SIGTERM):
            self.process.wait(timeout=10)
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _group_alive(pgid):
            if self.process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.2)
            else:
                time.sleep(0.2)
        _signal_group(pgid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.1)


def _signal_group(pgid: int, signal_number: int) -> bool:
    """Sends a signal to a process group; returns False when no process is left in it."""
    try:
        os.killpg(pgid, signal_number)
    except ProcessLookupError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    """Returns True while any process of the group is still there."""
    return _signal_group(pgid, 0)


def running_requests(server: RealVllmServer) -> float:
    """Returns the requests the server says it is running (0 when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=2) as response:
            page = response.read().decode()
    except (urllib.error.URLError, OSError):
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("vllm:num_requests_running{")
    )
