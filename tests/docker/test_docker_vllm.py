"""The Docker source and `vlmconsole ps` against real vLLM running inside a container.

The last test stops and restarts the container: keep it last in this module.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.docker.conftest import IMAGE, VllmContainer, docker
from tests.support.cli import program, workdir
from vlmconsole.model.container import VllmVersion
from vlmconsole.sources.docker_errors import (
    AmbiguousContainer,
    ContainerExited,
    ContainerRestarted,
    NoSuchContainer,
)
from vlmconsole.sources.docker_source import DockerSource, resolve_target

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

STARTUP_LINES = ("Starting vLLM", "Application startup complete")


@pytest.fixture()
def source() -> Iterator[DockerSource]:
    """A Docker source on the engine the tests use, closed afterwards."""
    docker_source = DockerSource()
    yield docker_source
    docker_source.close()


def ps(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs `vlmconsole ps ARGS` as a user would; returns the finished process."""
    return subprocess.run(
        [*program(), "ps", *args],
        cwd=workdir(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def ps_entry(name: str, *args: str) -> dict[str, Any] | None:
    """Returns the container's entry in `vlmconsole ps --json ARGS`, or None when not listed."""
    done = ps("--json", *args)
    assert done.returncode == 0, done.stderr
    entries: list[dict[str, Any]] = json.loads(done.stdout)["containers"]
    return next((entry for entry in entries if entry["name"] == name), None)


def version_of(base_url: str) -> str:
    response = httpx.get(f"{base_url}/version", timeout=10, trust_env=False)
    response.raise_for_status()
    return str(response.json()["version"])


def test_ps_lists_the_container_with_its_image_and_version(
    vllm_container: VllmContainer,
) -> None:
    entry = ps_entry(vllm_container.name)
    assert entry is not None, "ps lists running vLLM containers"
    assert f"{entry['image']}:{entry['tag']}" == IMAGE
    assert entry["state"] == "running" and entry["restart_count"] == 0
    assert entry["vllm_version"] == "0.32.0" and entry["version_via"] == "/version"
    assert entry["host_network"] is True and entry["host_port"] == vllm_container.port
    assert entry["url"] == vllm_container.base_url and entry["gpus"] == []
    assert 0 < entry["uptime_s"] < 3600

    table = ps()
    assert table.returncode == 0, table.stderr
    line = next(row for row in table.stdout.splitlines() if vllm_container.name in row)
    for shown in (IMAGE, "running", f"{vllm_container.port} (host)", "0.32.0"):
        assert shown in line


def test_a_name_resolves_to_an_endpoint_that_answers(
    vllm_container: VllmContainer, source: DockerSource
) -> None:
    endpoint, info = resolve_target(vllm_container.name)
    assert endpoint.base_url == vllm_container.base_url
    assert info is not None and info.name == vllm_container.name
    assert version_of(endpoint.base_url) == "0.32.0"

    by_id = resolve_target(info.short_id[:8], source)
    assert by_id == (endpoint, by_id[1]) and by_id[1] is not None
    assert by_id[1].id == info.id

    by_port, behind = resolve_target(f"127.0.0.1:{vllm_container.port}")
    assert by_port.base_url == vllm_container.base_url
    assert behind is not None and behind.name == vllm_container.name


def test_version_from_python_inside_the_container(
    vllm_container: VllmContainer, source: DockerSource
) -> None:
    info = source.find(vllm_container.name)
    assert source.exec_version(info) == VllmVersion("0.32.0", "docker exec")


def test_a_container_without_python_says_so(
    vllm_container: VllmContainer, container_without_python: str, source: DockerSource
) -> None:
    info = source.find(container_without_python)
    version = source.vllm_version(info)
    assert version.version is None
    assert version.problem == f"no python3 in container {container_without_python}"
    entry = ps_entry(container_without_python)
    assert entry is not None and entry["version_problem"] == version.problem

    with pytest.raises(AmbiguousContainer, match="matches [0-9]+ containers: "):
        source.find("vlmconsole-test-")
    with pytest.raises(NoSuchContainer) as missing:
        source.find("vlmconsole-no-such-container")
    assert vllm_container.name in str(missing.value)
    assert container_without_python in str(missing.value), "its image's name says vllm"


def test_logs_hold_the_servers_startup_lines(
    vllm_container: VllmContainer, source: DockerSource
) -> None:
    lines = source.logs(source.find(vllm_container.name), lines=5000)
    assert any(marker in line for line in lines for marker in STARTUP_LINES), lines[-20:]
    assert len(source.logs(source.find(vllm_container.name), lines=3)) == 3


def wait_for(what: str, check: Any, timeout_s: float, every_s: float = 0.1) -> float:
    """Polls `check()` until it is true; returns the seconds it took, or fails saying what."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(every_s)
    pytest.fail(f"{what}: not seen within {timeout_s} s")


def test_stop_and_start_are_seen(vllm_container: VllmContainer, source: DockerSource) -> None:
    attached = source.check_attached(source.find(vllm_container.name))
    follow = source.follow_logs(attached)
    followed: list[str] = []
    ended: list[float] = []

    def read() -> None:
        followed.extend(follow)
        ended.append(time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    version_of(vllm_container.base_url)
    wait_for("a request in the followed log", lambda: any("/version" in f for f in followed), 10)

    docker("stop", "--time", "30", vllm_container.name)
    stopped_at = time.monotonic()
    wait_for("state exited", lambda: source.inspect(vllm_container.name).state == "exited", 2)
    reader.join(timeout=2)
    assert ended and ended[0] - stopped_at < 2, "following ends when the container stops"
    with pytest.raises(ContainerExited, match="is exited"):
        source.check_attached(attached)
    assert ps_entry(vllm_container.name) is None, "ps without --all lists running ones only"
    stopped = ps_entry(vllm_container.name, "--all")
    assert stopped is not None and stopped["state"] == "exited"
    assert stopped["vllm_version"] is None and "exited" in stopped["version_problem"]

    docker("start", vllm_container.name)
    wait_for("state running", lambda: source.inspect(vllm_container.name).running, 2)
    with pytest.raises(ContainerRestarted, match="restarted at"):
        source.check_attached(attached)
    vllm_container.wait_healthy()
    again = source.check_attached(source.find(vllm_container.name))
    assert again.started_at != attached.started_at
    assert source.vllm_version(again) == VllmVersion("0.32.0", "/version")
