"""The pure parts of the Docker view: reading inspect JSON, ports, vLLM detection, matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vlmconsole.model.container import (
    ContainerInfo,
    container_from_inspect,
    looks_like_vllm,
    match_containers,
    parse_docker_time,
    port_from_command,
    split_image,
)
from vlmconsole.views.formatting import uptime as format_uptime
from vlmconsole.views.ps_view import gpus_text, port_text, state_text

STARTED = "2026-01-02T03:04:05.123456789Z"


def inspect_json(
    name: str = "vllm",
    image: str = "vllm/vllm-openai:v0.6.3",
    entrypoint: list[str] | None = None,
    cmd: list[str] | None = None,
    status: str = "running",
    network: str = "default",
    ports: dict[str, Any] | None = None,
    exposed: dict[str, Any] | None = None,
    gpus: list[dict[str, Any]] | None = None,
    container_id: str = "ab12cd34ef56" + "0" * 52,
) -> dict[str, Any]:
    """Returns the parts of `docker inspect` JSON that the reader looks at."""
    return {
        "Id": container_id,
        "Name": f"/{name}",
        "Image": "sha256:0123456789abcdef" + "0" * 48,
        "RestartCount": 2,
        "Path": "",
        "Args": [],
        "State": {
            "Status": status,
            "StartedAt": STARTED,
            "FinishedAt": "0001-01-01T00:00:00Z",
            "ExitCode": 0 if status == "running" else 137,
        },
        "Config": {
            "Image": image,
            "Entrypoint": entrypoint if entrypoint is not None else ["vllm", "serve"],
            "Cmd": cmd or ["--model", "Qwen/Qwen2-VL-2B-Instruct"],
            "ExposedPorts": exposed,
        },
        "HostConfig": {"NetworkMode": network, "DeviceRequests": gpus},
        "NetworkSettings": {"Ports": ports or {}},
    }


def info(**kwargs: Any) -> ContainerInfo:
    return container_from_inspect(inspect_json(**kwargs))


# --- uptime -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (59.9, "59 s"),
        (60, "1 m"),
        (3599, "59 m"),
        (3600 + 5 * 60, "1 h 05 m"),
        (86400 * 2 + 3600 * 4 + 30, "2 d 04 h"),
    ],
)
def test_uptime_reads_like_a_person_says_it(seconds: float | None, text: str) -> None:
    assert format_uptime(seconds) == text


def test_uptime_is_counted_from_started_at_against_the_time_given() -> None:
    running = info()
    started = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert running.started_at == started
    assert running.uptime_s(started + timedelta(minutes=3)) == pytest.approx(180)
    assert running.uptime_s(started - timedelta(seconds=5)) == 0.0, "clock skew is not negative"
    assert info(status="exited").uptime_s(started + timedelta(hours=1)) is None


def test_docker_times_with_nanoseconds_and_the_zero_time() -> None:
    assert parse_docker_time("2026-01-02T03:04:05.5+02:00") == datetime(
        2026, 1, 2, 1, 4, 5, 500000, tzinfo=UTC
    )
    assert parse_docker_time("0001-01-01T00:00:00Z") is None
    assert parse_docker_time("yesterday") is None
    assert parse_docker_time(None) is None


# --- ports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "port"),
    [
        (["vllm", "serve", "m"], 8000),
        (["vllm", "serve", "m", "--port", "8011"], 8011),
        (["python3", "-m", "vllm.entrypoints.openai.api_server", "--port=9000"], 9000),
        (["vllm", "serve", "--port"], 8000),
        (["vllm", "serve", "--port", "http"], 8000),
        (["vllm", "serve", "--port", "70000"], 8000),
        (["vllm", "serve", "--max-num-seqs", "4", "--port", "1234", "--host", "0.0.0.0"], 1234),
    ],
)
def test_port_is_read_from_the_command_line(command: list[str], port: int) -> None:
    assert port_from_command(command) == port


def test_host_network_reaches_vllm_on_its_own_port() -> None:
    host = info(network="host", cmd=["--model", "m", "--port", "8123"])
    assert host.host_network and host.host_port == 8123
    assert port_text(host) == "8123 (host)"


def test_published_port_of_vllm_is_the_one_used() -> None:
    published = info(
        ports={
            "8000/tcp": [
                {"HostIp": "0.0.0.0", "HostPort": "18000"},
                {"HostIp": "::", "HostPort": "18000"},
            ],
            "9090/tcp": [{"HostIp": "0.0.0.0", "HostPort": "19090"}],
            "8000/udp": None,
        }
    )
    assert published.host_port == 18000
    assert len(published.ports) == 2, "the IPv6 twin of a binding is one port"
    assert port_text(published) == "18000->8000"


def test_a_single_other_published_port_is_used_when_vllms_is_not() -> None:
    other = info(ports={"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]})
    assert other.host_port == 8080
    assert info().host_port is None and port_text(info()) == "none"


# --- detection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "command", "ports", "expected"),
    [
        ("vllm/vllm-openai:latest", [], [], True),
        ("registry.local:5000/team/VLLM-cpu", ["bash"], [], True),
        ("python:3.12", ["vllm", "serve", "m"], [], True),
        ("python:3.12", ["/opt/venv/bin/vllm", "serve", "m"], [], True),
        ("python:3.12", ["python3", "-m", "vllm.entrypoints.openai.api_server"], [], True),
        ("my/server", ["python", "app.py"], [8000], True),
        ("postgres:16", ["postgres"], [5432], False),
        ("python:3.12", ["python", "-c", "print('vllm-ish')"], [], False),
    ],
)
def test_vllm_is_recognised_by_image_command_or_port(
    image: str, command: list[str], ports: list[int], expected: bool
) -> None:
    assert looks_like_vllm(image, command, ports) is expected


def test_inspect_json_becomes_a_container_info() -> None:
    seen = info(
        image="vllm/vllm-openai:v0.6.3",
        exposed={"8000/tcp": {}},
        gpus=[{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}],
    )
    assert (seen.name, seen.image, seen.tag, seen.image_ref) == (
        "vllm",
        "vllm/vllm-openai",
        "v0.6.3",
        "vllm/vllm-openai:v0.6.3",
    )
    assert seen.image_id == "0123456789ab" and seen.short_id == "ab12cd34ef56"
    assert seen.restart_count == 2 and seen.running and seen.exit_code is None
    assert seen.command[:2] == ("vllm", "serve") and seen.is_vllm
    assert gpus_text(seen) == "all" and seen.gpus[0].capabilities == ("gpu",)
    stopped = info(status="exited")
    assert stopped.exit_code == 137 and state_text(stopped) == "exited (137)"


def test_gpus_by_count_and_by_id() -> None:
    two = info(gpus=[{"Driver": "", "Count": 2, "DeviceIDs": None, "Capabilities": [["gpu"]]}])
    ids = info(gpus=[{"Count": 0, "DeviceIDs": ["0", "3"], "Capabilities": [["gpu"]]}])
    assert (gpus_text(two), gpus_text(ids), gpus_text(info())) == ("2", "ids 0,3", "none")


@pytest.mark.parametrize(
    ("ref", "repo", "tag"),
    [
        ("vllm/vllm-openai:v0.6.3", "vllm/vllm-openai", "v0.6.3"),
        ("vllm/vllm-openai", "vllm/vllm-openai", None),
        ("registry:5000/vllm", "registry:5000/vllm", None),
        ("registry:5000/vllm:nightly", "registry:5000/vllm", "nightly"),
        ("vllm/vllm-openai:v1@sha256:" + "a" * 64, "vllm/vllm-openai", "v1"),
    ],
)
def test_image_references_split_into_repository_and_tag(
    ref: str, repo: str, tag: str | None
) -> None:
    assert split_image(ref) == (repo, tag)


def test_a_container_started_from_an_image_id_has_no_tag() -> None:
    by_id = info(image="sha256:0123456789abcdef")
    assert (by_id.image, by_id.tag) == ("0123456789ab", None)


# --- name matching ----------------------------------------------------------------------


def three() -> tuple[ContainerInfo, ...]:
    return (
        info(name="vllm", container_id="aa" + "1" * 62),
        info(name="vllm-qwen", container_id="ab" + "2" * 62),
        info(name="vllm-smol", container_id="bb" + "3" * 62),
    )


def names(found: tuple[ContainerInfo, ...]) -> list[str]:
    return [c.name for c in found]


def test_a_name_matching_nothing_finds_none() -> None:
    assert match_containers("ollama", three()) == ()
    assert match_containers("  ", three()) == ()


def test_an_exact_name_wins_over_longer_names_it_prefixes() -> None:
    assert names(match_containers("vllm", three())) == ["vllm"]
    assert names(match_containers("/vllm-smol", three())) == ["vllm-smol"]


def test_a_prefix_or_id_prefix_matching_one_finds_it() -> None:
    assert names(match_containers("vllm-q", three())) == ["vllm-qwen"]
    assert names(match_containers("bb33", three())) == ["vllm-smol"]
    assert names(match_containers("AB2", three())) == ["vllm-qwen"], "ids ignore case"


def test_a_prefix_matching_several_finds_them_all() -> None:
    assert names(match_containers("vllm-", three())) == ["vllm-qwen", "vllm-smol"]
    assert names(match_containers("a", three())) == ["vllm", "vllm-qwen"]
