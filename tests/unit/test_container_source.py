"""The Docker source without an engine: its errors, choices, log decoding and the ps output."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_container import info
from vlmconsole.model.container import VllmVersion
from vlmconsole.sources.docker_errors import (
    AmbiguousContainer,
    ContainerGone,
    DockerApiError,
    DockerPermissionDenied,
    DockerUnavailable,
    NoSuchContainer,
    engine_error,
    sdk_error,
)
from vlmconsole.sources.docker_source import (
    DockerSource,
    LogFollow,
    choose_container,
    resolve_target,
)
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.source_errors import EndpointError, SourceError
from vlmconsole.views.ps_view import ps_dict, ps_text


@pytest.fixture()
def no_docker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Points DOCKER_HOST at a socket that does not exist; returns it."""
    host = f"unix://{tmp_path}/no-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    return host


def wrapped(cause: BaseException) -> Exception:
    """Returns an SDK-like error whose cause chain ends in `cause`."""
    try:
        try:
            raise cause
        except BaseException as inner:
            raise ConnectionError("('Connection aborted.', ...)") from inner
    except ConnectionError as outer:
        return outer


def test_engine_errors_become_one_line_reasons() -> None:
    host = "unix:///var/run/docker.sock"
    missing = engine_error(wrapped(FileNotFoundError(2, "No such file")), host)
    refused = engine_error(wrapped(ConnectionRefusedError(111, "refused")), host)
    denied = engine_error(wrapped(PermissionError(13, "Permission denied")), host)
    assert isinstance(missing, DockerUnavailable) and isinstance(refused, DockerUnavailable)
    assert str(missing).startswith("Docker is not reachable at unix:///var/run/docker.sock: ")
    assert "no such socket" in str(missing) and "not running" in str(refused)
    assert isinstance(denied, DockerPermissionDenied)
    assert str(denied).startswith("permission denied on unix:///var/run/docker.sock")
    for error in (missing, refused, denied):
        assert isinstance(error, SourceError) and "\n" not in str(error)


def test_no_engine_is_a_typed_error_naming_where_it_looked(no_docker: str) -> None:
    source = DockerSource(timeout_s=2)
    with pytest.raises(DockerUnavailable, match=f"^Docker is not reachable at {no_docker}: "):
        source.ping()
    with pytest.raises(DockerUnavailable):
        source.containers()


def test_host_and_port_need_no_docker(no_docker: str) -> None:
    started = time.monotonic()
    assert resolve_target("localhost:8000") == (Endpoint("http://localhost:8000"), None)
    assert resolve_target(":8011") == (Endpoint("http://127.0.0.1:8011"), None)
    assert resolve_target("http://10.0.0.7:8000/v1") == (Endpoint("http://10.0.0.7:8000"), None)
    assert time.monotonic() - started < 5


def test_a_name_without_docker_says_both_what_was_tried(no_docker: str) -> None:
    with pytest.raises(EndpointError) as caught:
        resolve_target("my-vllm")
    assert "not HOST:PORT" in str(caught.value) and "Docker is not reachable" in str(caught.value)


def test_choosing_none_one_or_several() -> None:
    here = (
        info(name="vllm-qwen", container_id="a1" + "0" * 62),
        info(name="vllm-smol", container_id="b2" + "0" * 62),
        info(name="postgres", image="postgres:16", entrypoint=["postgres"], cmd=["-p", "5432"]),
    )
    assert choose_container("vllm-q", here).name == "vllm-qwen"
    with pytest.raises(NoSuchContainer) as none:
        choose_container("ollama", here)
    assert (
        str(none.value) == "no container named ollama; vLLM containers here: vllm-qwen, vllm-smol"
    )
    with pytest.raises(AmbiguousContainer) as several:
        choose_container("vllm", here)
    assert "vllm matches 2 containers: vllm-qwen, vllm-smol" in str(several.value)
    assert "no container named x; vLLM containers here: none" in str(NoSuchContainer("x", []))


class FakeStream:
    """Yields queued byte chunks until `None` is queued or it is closed, as the SDK's does."""

    def __init__(self, chunks: list[bytes | None]) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        for chunk in chunks:
            self.chunks.put(chunk)
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.chunks.get(timeout=10)
            if self.closed:
                raise OSError("socket closed")
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self.closed = True
        self.chunks.put(b"")


def test_followed_logs_are_whole_decoded_lines() -> None:
    chunks: list[bytes | None] = [b"first li", b"ne\nsec", b"ond \xc3", b"\xa9\r\nlast", None]
    assert list(LogFollow(FakeStream(chunks))) == ["first line", "second é", "last"]


def test_closing_a_follow_from_another_thread_ends_it() -> None:
    stream = FakeStream([b"one\n"])
    follow = LogFollow(stream)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(follow))
    reader.start()
    time.sleep(0.2)
    follow.close()
    reader.join(timeout=5)
    assert not reader.is_alive() and seen == ["one"]


class FakeExecResult:
    def __init__(self, exit_code: int, out: bytes | None, err: bytes | None) -> None:
        self.exit_code = exit_code
        self.output = (out, err)


class FakeContainers:
    def __init__(self, result: FakeExecResult) -> None:
        self.result = result

    def get(self, ref: str) -> Any:
        result = self.result

        class Container:
            def exec_run(self, cmd: list[str], demux: bool) -> FakeExecResult:
                assert cmd[0] == "python3" and demux
                return result

        return Container()


class FakeClient:
    def __init__(self, result: FakeExecResult) -> None:
        self.containers = FakeContainers(result)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            FakeExecResult(0, b"0.6.3.post1\n", b"INFO a warning\n"),
            VllmVersion("0.6.3.post1", "docker exec"),
        ),
        (
            FakeExecResult(
                126,
                b'OCI runtime exec failed: exec: "python3": executable file not found\r\n',
                None,
            ),
            VllmVersion(None, None, "no python3 in container vllm"),
        ),
        (
            FakeExecResult(
                1, None, b"Traceback ...\nModuleNotFoundError: No module named 'vllm'\n"
            ),
            VllmVersion(
                None, None, "python3 in vllm failed: ModuleNotFoundError: No module named 'vllm'"
            ),
        ),
    ],
)
def test_version_from_python_inside_the_container(
    result: FakeExecResult, expected: VllmVersion
) -> None:
    assert DockerSource(client=FakeClient(result)).exec_version(info()) == expected


def test_a_stopped_container_has_no_version_and_says_why() -> None:
    source = DockerSource(client=FakeClient(FakeExecResult(0, b"x", None)))
    assert source.vllm_version(info(status="exited")).problem == "container vllm is exited"


def test_ps_shows_outside_text_literally() -> None:
    hostile = info(name="evil[bold]\x1b[31mname", image="x/[link=http://a]vllm:1")
    rows = [(hostile, VllmVersion(None, None, "python3 in x failed: [red]boom"))]
    text = ps_text(rows, datetime(2026, 1, 2, 4, 0, tzinfo=UTC))
    assert "evil[bold]name" in text.plain and "\x1b" not in text.plain
    assert (
        "x/[link=http://a]vllm:1" in text.plain and "? python3 in x failed: [red]boom" in text.plain
    )
    assert not any("link" in str(span.style) for span in text.spans)
    data = ps_dict(rows, datetime(2026, 1, 2, 4, 0, tzinfo=UTC), "unix:///x.sock")
    assert json.loads(json.dumps(data))["containers"][0]["uptime_s"] == pytest.approx(3354.876544)


def test_ps_without_docker_exits_2_with_one_line(no_docker: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlmconsole", "ps"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stdout
    assert done.stderr == f"vlmconsole: Docker is not reachable at {no_docker}: " + (
        "no such socket (is the engine installed and started?)\n"
    )


def test_sdk_errors_about_a_container_become_typed() -> None:
    from docker import errors as sdk

    host = "unix:///var/run/docker.sock"
    gone = sdk_error(sdk.NotFound("404", explanation="No such container: ab12"), "x", "vllm", host)
    assert isinstance(gone, ContainerGone) and str(gone) == "container vllm was removed"
    conflict = sdk.APIError("409", explanation="Container ab12 is not running\nmore")
    api = sdk_error(conflict, "run python3 in vllm", "vllm", host)
    assert isinstance(api, DockerApiError)
    assert str(api) == "Docker could not run python3 in vllm: Container ab12 is not running"
    assert sdk_error(ValueError("not Docker's"), "x", None, host) is None
