"""Fixtures of the Docker tier: an engine, the test image, and real vLLM inside a container.

The container runs the same server as the session's `vllm_server` (the same command
line), from the image scripts/setup_docker.sh builds, with `--network host` on
127.0.0.1 and a free port; the vLLM venv, its Python and the model are bind-mounted
read-only. Every container made here is removed at the end, whatever happened.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from tests.support.real_vllm import (
    REPO,
    STARTUP_TIMEOUT_S,
    RealVllmServer,
    ServerStartError,
    free_port,
    test_model_dir,
    vllm_python,
)

IMAGE = "vlmconsole-test/vllm-cpu:0.32.0"
NAME_PREFIX = "vlmconsole-test-"
ARTIFACTS = REPO / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "docker: needs a Docker engine (scripts/setup_docker.sh starts one); "
        "skipped when none can be reached",
    )


def docker(*args: str, timeout_s: float = 120, check: bool = True) -> str:
    """Runs the `docker` command; returns its stdout (raises with stderr when it fails)."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def unique_name(kind: str) -> str:
    """Returns a container name no other test run uses: vlmconsole-test-KIND-<random>."""
    return f"{NAME_PREFIX}{kind}-{secrets.token_hex(4)}"


def venv_python_home() -> Path:
    """Returns the Python install the vLLM venv was made from (`home` in pyvenv.cfg)."""
    config = vllm_python().parent.parent / "pyvenv.cfg"
    for line in config.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return Path(value.strip()).parent
    raise RuntimeError(f"{config} names no home")


def no_engine(reason: str) -> NoReturn:
    """Skips the test for want of a Docker engine; under CI (CI=true) fails it instead.

    CI starts an engine (scripts/setup_docker.sh): a skip there would count a
    container feature as proven when it was never run.
    """
    message = f"no Docker engine: {reason}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI must run the Docker tests)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """Returns the engine's version; skips the test when no engine can be reached (not in CI)."""
    if shutil.which("docker") is None:
        no_engine("no `docker` command (run scripts/setup_docker.sh)")
    done = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0 or not done.stdout.strip():
        reason = (done.stderr.strip().splitlines() or ["`docker info` failed"])[-1]
        no_engine(reason)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def test_image(docker_engine: str) -> str:
    """Returns the test image's name, building it (scripts/setup_docker.sh) when missing."""
    inspect = ("image", "inspect", "--format", "{{.Id}}", IMAGE)
    if not docker(*inspect, check=False).strip():
        subprocess.run(["bash", str(REPO / "scripts" / "setup_docker.sh")], timeout=600)
        if not docker(*inspect, check=False).strip():
            pytest.fail(f"{IMAGE} is missing and scripts/setup_docker.sh did not build it")
    return IMAGE


@dataclass
class VllmContainer:
    """The real vLLM server running inside a container, on 127.0.0.1:port."""

    name: str
    port: int

    @property
    def base_url(self) -> str:
        """Returns the server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    def logs(self, tail: int = 40) -> str:
        """Returns the last lines of `docker logs`."""
        done = subprocess.run(
            ["docker", "logs", "--tail", str(tail), self.name],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout + done.stderr

    def is_healthy(self) -> bool:
        """Returns True when GET /health answers 200."""
        try:
            response = httpx.get(f"{self.base_url}/health", timeout=2, trust_env=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def running(self) -> bool:
        """Returns True while Docker says the container runs."""
        state = docker("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return state.strip() == "true"

    def wait_healthy(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        """Waits for /health; returns the seconds it took, or raises ServerStartError."""
        started = time.monotonic()
        checks = 0
        while time.monotonic() - started < timeout_s:
            if self.is_healthy():
                return time.monotonic() - started
            checks += 1
            if checks % 4 == 0 and not self.running():
                raise ServerStartError(
                    f"container {self.name} stopped before vLLM was healthy.\n"
                    f"`docker logs --tail 40 {self.name}`:\n{self.logs()}"
                )
            time.sleep(0.5)
        raise ServerStartError(
            f"vLLM in container {self.name} was not healthy on {self.base_url} after "
            f"{timeout_s:.0f} s.\n`docker logs --tail 40 {self.name}`:\n{self.logs()}"
        )


def run_command(name: str, image: str, port: int, scratch: Path) -> list[str]:
    """Returns the `docker run` command line of the vLLM container."""
    for needed, how in (
        (vllm_python(), "bash scripts/setup_vllm_venv.sh"),
        (test_model_dir() / "config.json", "python scripts/build_test_model.py"),
    ):
        if not needed.exists():
            raise ServerStartError(f"{needed} is missing: run `{how}` (./scripts/test does)")
    venv, python_home, model = vllm_python().parent.parent, venv_python_home(), test_model_dir()
    server = RealVllmServer(port=port, log_path=scratch / "unused.log")
    return [
        "docker", "run", "--detach", "--name", name, "--label", "vlmconsole-test=1",
        "--network", "host", "--shm-size", "1g",  # vLLM's ring buffers outgrow the 64 MB default
        "--volume", f"{venv}:{venv}:ro",
        "--volume", f"{python_home}:{python_home}:ro",
        "--volume", f"{model}:{model}:ro",
        "--env", "HF_HUB_OFFLINE=1", "--env", "TRANSFORMERS_OFFLINE=1",
        "--env", "VLLM_CPU_KVCACHE_SPACE=1", "--env", "VLLM_NO_USAGE_STATS=1",
        "--env", "DO_NOT_TRACK=1",
        "--env", f"PATH={venv}/bin:/usr/local/bin:/usr/bin:/bin",
        image,
        *server.command(),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def vllm_container(
    request: pytest.FixtureRequest, test_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VllmContainer]:
    """Real vLLM in a container of the test image; removed at the end, whatever happened."""
    container = VllmContainer(name=unique_name("vllm"), port=free_port())
    scratch = tmp_path_factory.mktemp("docker-vllm")
    failed_before = request.session.testsfailed
    try:
        docker(*run_command(container.name, test_image, container.port, scratch)[1:])
        took_s = container.wait_healthy()
        print(f"\nvLLM healthy in container {container.name} after {took_s:.1f} s")
        yield container
    finally:
        if request.session.testsfailed > failed_before:
            ARTIFACTS.mkdir(exist_ok=True)
            kept = ARTIFACTS / f"{container.name}.log"
            kept.write_text(container.logs(tail=2000))
            print(f"\ncontainer log kept at {kept}")
        docker("rm", "--force", container.name, check=False)


@pytest.fixture()
def container_without_python(test_image: str) -> Iterator[str]:
    """A container of the test image with nothing mounted, so no python3; returns its name."""
    name = unique_name("nopy")
    docker("run", "--detach", "--name", name, "--label", "vlmconsole-test=1",
           "--network", "none", test_image, "sleep", "300")  # fmt: skip
    try:
        yield name
    finally:
        docker("rm", "--force", name, check=False)
