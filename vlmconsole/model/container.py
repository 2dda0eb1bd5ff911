"""A Docker container that serves vLLM, as plain values, and the pure readings behind them.

The Docker source hands back these values; nothing here talks to Docker. Docker's
inspect JSON is read by `container_from_inspect`, a pure function of that JSON.
Time is an argument: `ContainerInfo.uptime_s(now)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

VLLM_DEFAULT_PORT = 8000
VLLM_MODULES = ("vllm.entrypoints.openai.api_server", "vllm.entrypoints.api_server")
_DOCKER_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


@dataclass(frozen=True, slots=True)
class PortBinding:
    """One published port: `container_port/protocol` reachable on the host at `host_port`."""

    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True, slots=True)
class GpuRequest:
    """One entry of `HostConfig.DeviceRequests` (`--gpus`)."""

    driver: str
    count: int
    """-1 means all GPUs; 0 with device ids means those devices."""
    device_ids: tuple[str, ...]
    capabilities: tuple[str, ...]

    def describe(self) -> str:
        """Returns what was asked for: `all`, `2`, or `ids 0,1`."""
        if self.device_ids:
            return "ids " + ",".join(self.device_ids)
        return "all" if self.count < 0 else str(self.count)


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """What one container is and how it is doing, read at one moment."""

    id: str
    name: str
    image: str
    """The repository the container was started from, such as `vllm/vllm-openai`."""
    tag: str | None
    """The image tag, such as `v0.6.3`; None when started by digest or image id."""
    image_id: str
    """The short (12 hex digit) id of the image."""
    state: str
    """Docker's state: created, running, paused, restarting, removing, exited or dead."""
    exit_code: int | None
    """The last exit code, when the container is not running."""
    started_at: datetime | None
    finished_at: datetime | None
    restart_count: int
    command: tuple[str, ...]
    """Entrypoint and arguments, as the container runs them."""
    host_network: bool
    """True with `--network host`: vLLM's port is a port of the host itself."""
    vllm_port: int
    """The port vLLM listens on inside the container (`--port N`, else 8000)."""
    ports: tuple[PortBinding, ...]
    gpus: tuple[GpuRequest, ...]
    is_vllm: bool
    """True when the image or command line says this runs vLLM (see looks_like_vllm)."""

    @property
    def short_id(self) -> str:
        """Returns the 12-digit id Docker shows."""
        return self.id[:12]

    @property
    def image_ref(self) -> str:
        """Returns `image:tag`, or the image alone when there is no tag."""
        return f"{self.image}:{self.tag}" if self.tag else self.image

    @property
    def running(self) -> bool:
        """Returns True while the container's state is `running`."""
        return self.state == "running"

    @property
    def host_port(self) -> int | None:
        """Returns the host port that reaches vLLM on 127.0.0.1, or None when none does.

        The host network's port is vLLM's own; otherwise the binding of vLLM's port,
        or the only published TCP port when vLLM's port is not published.
        """
        if self.host_network:
            return self.vllm_port
        tcp = [p for p in self.ports if p.protocol == "tcp"]
        for binding in tcp:
            if binding.container_port == self.vllm_port:
                return binding.host_port
        return tcp[0].host_port if len({p.host_port for p in tcp}) == 1 else None

    def uptime_s(self, now: datetime) -> float | None:
        """Returns seconds since the container (re)started, or None when it is not running."""
        if not self.running or self.started_at is None:
            return None
        return max(0.0, (now - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class VllmVersion:
    """The vLLM version of a container, where it was read, or why it could not be."""

    version: str | None
    via: str | None
    """`/version` (the server answered) or `docker exec` (read from the Python package)."""
    problem: str | None = None
    """One line saying why there is no version; None when there is one."""


def split_image(ref: str) -> tuple[str, str | None]:
    """Returns (repository, tag) of an image reference; the tag is None when absent.

    `vllm/vllm-openai:v0.6.3` -> (`vllm/vllm-openai`, `v0.6.3`);
    `registry:5000/vllm` -> (`registry:5000/vllm`, None); a digest is dropped.
    """
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
        return repo, tag
    return name, None


def port_from_command(command: Sequence[str], default: int = VLLM_DEFAULT_PORT) -> int:
    """Returns the port a vLLM command line listens on: `--port N` or `--port=N`, else default."""
    for index, arg in enumerate(command):
        value: str | None = None
        if arg == "--port" and index + 1 < len(command):
            value = command[index + 1]
        elif arg.startswith("--port="):
            value = arg.partition("=")[2]
        if value is not None and value.isdigit() and 0 < int(value) < 65536:
            return int(value)
    return default


def runs_vllm(command: Sequence[str]) -> bool:
    """Returns True when a command line starts vLLM (`vllm serve`, or its API server module)."""
    for arg in command:
        if PurePosixPath(arg).name == "vllm" or arg in VLLM_MODULES:
            return True
        if arg.startswith("vllm.entrypoints."):
            return True
    return False


def looks_like_vllm(image: str, command: Sequence[str], container_ports: Iterable[int]) -> bool:
    """Returns True when a container probably serves vLLM.

    Its image name contains `vllm`, its command line runs vLLM, or it exposes 8000.
    """
    if "vllm" in image.lower() or runs_vllm(command):
        return True
    return VLLM_DEFAULT_PORT in set(container_ports)


def parse_docker_time(text: str | None) -> datetime | None:
    """Returns Docker's RFC 3339 time (nanoseconds allowed) as an aware datetime.

    Docker's zero time (`0001-01-01T00:00:00Z`, never started) and bad text give None.
    """
    if not text or text.startswith("0001-01-01"):
        return None
    match = _DOCKER_TIME.match(text)
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{whole}.{micro}{offset}").astimezone(UTC)


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(word) for word in value or ())


def _port_key(key: str) -> tuple[int, str] | None:
    number, _, protocol = key.partition("/")
    return (int(number), protocol or "tcp") if number.isdigit() else None


def _bindings(ports: Mapping[str, Any] | None) -> tuple[PortBinding, ...]:
    found: list[PortBinding] = []
    for key, hosts in (ports or {}).items():
        parsed = _port_key(key)
        if parsed is None or not hosts:
            continue
        for host in hosts:
            host_port = str(host.get("HostPort", ""))
            if host_port.isdigit():
                found.append(
                    PortBinding(parsed[0], parsed[1], str(host.get("HostIp", "")), int(host_port))
                )
    unique = {(b.container_port, b.protocol, b.host_port): b for b in found}  # IPv4 and IPv6 twins
    return tuple(sorted(unique.values(), key=lambda b: (b.container_port, b.host_port)))


def _gpus(requests: Sequence[Mapping[str, Any]] | None) -> tuple[GpuRequest, ...]:
    found = []
    for request in requests or ():
        capabilities = tuple(c for group in request.get("Capabilities") or () for c in group)
        found.append(
            GpuRequest(
                driver=str(request.get("Driver") or ""),
                count=int(request.get("Count") or 0),
                device_ids=tuple(str(d) for d in request.get("DeviceIDs") or ()),
                capabilities=capabilities,
            )
        )
    return tuple(found)


def container_from_inspect(attrs: Mapping[str, Any]) -> ContainerInfo:
    """Returns the ContainerInfo that Docker's `inspect` JSON of one container describes."""
    config: Mapping[str, Any] = attrs.get("Config") or {}
    state: Mapping[str, Any] = attrs.get("State") or {}
    host_config: Mapping[str, Any] = attrs.get("HostConfig") or {}
    network: Mapping[str, Any] = attrs.get("NetworkSettings") or {}
    command = (*_words(config.get("Entrypoint")), *_words(config.get("Cmd")))
    if not command:
        command = (str(attrs.get("Path", "")), *(str(a) for a in attrs.get("Args") or ()))
    full_image_id = str(attrs.get("Image", "")).removeprefix("sha256:")
    image_id = full_image_id[:12]
    ref = str(config.get("Image") or "").removeprefix("sha256:")
    started_by_id = not ref or (len(ref) >= 12 and full_image_id.startswith(ref))
    image, tag = (image_id, None) if started_by_id else split_image(ref)
    ports = _bindings(network.get("Ports"))
    exposed = [p[0] for p in map(_port_key, config.get("ExposedPorts") or {}) if p is not None]
    status = str(state.get("Status") or "unknown")
    exit_code = state.get("ExitCode")
    return ContainerInfo(
        id=str(attrs.get("Id", "")),
        name=str(attrs.get("Name", "")).lstrip("/"),
        image=image,
        tag=tag,
        image_id=image_id,
        state=status,
        exit_code=int(exit_code) if status != "running" and isinstance(exit_code, int) else None,
        started_at=parse_docker_time(state.get("StartedAt")),
        finished_at=parse_docker_time(state.get("FinishedAt")),
        restart_count=int(attrs.get("RestartCount") or 0),
        command=command,
        host_network=str(host_config.get("NetworkMode", "")) == "host",
        vllm_port=port_from_command(command),
        ports=ports,
        gpus=_gpus(host_config.get("DeviceRequests")),
        is_vllm=looks_like_vllm(image, command, [*exposed, *(p.container_port for p in ports)]),
    )


def match_containers(ref: str, containers: Sequence[ContainerInfo]) -> tuple[ContainerInfo, ...]:
    """Returns the containers that `ref` names: an exact name or id wins, else every prefix match.

    A prefix matches a name, or an id when `ref` is hexadecimal.
    """
    ref = ref.strip().lstrip("/")
    if not ref:
        return ()
    exact = tuple(c for c in containers if ref in (c.name, c.id))
    if exact:
        return exact
    is_hex = all(ch in "0123456789abcdef" for ch in ref.lower())
    return tuple(
        c for c in containers if c.name.startswith(ref) or (is_hex and c.id.startswith(ref.lower()))
    )


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """One check of the attached container: how it is now, and what happened to it."""

    info: ContainerInfo | None
    """The container as it is now; None when it is gone and nothing took its name."""
    note: str | None = None
    """What happened since the last check (restarted, exited, gone, Docker unreachable)."""

    @property
    def run_key(self) -> str | None:
        """Names this run of the container: a new start means a new log to follow."""
        if self.info is None or self.info.started_at is None:
            return None
        return self.info.started_at.isoformat()
