"""The vLLM container on this machine: find it, read its image, state, version and logs.

Blocking (the Docker SDK is): call it from a worker thread. It connects as the
`docker` command does, through DOCKER_HOST or the default socket, and hands back
the plain values of `vlmconsole.model.container`; no Docker object leaks out.
Docker is optional: `resolve_target("HOST:PORT")` works when there is no engine.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from vlmconsole.model.container import (
    ContainerInfo,
    VllmVersion,
    container_from_inspect,
    match_containers,
)
from vlmconsole.sources.docker_errors import (
    AmbiguousContainer,
    ContainerExited,
    ContainerGone,
    ContainerRestarted,
    DockerApiError,
    DockerError,
    DockerUnavailable,
    NoEndpoint,
    NoSuchContainer,
    docker_host,
    sdk_error,
)
from vlmconsole.sources.endpoint import Endpoint, looks_like_address, parse_endpoint
from vlmconsole.sources.source_errors import EndpointError

VERSION_CODE = "import vllm; print(vllm.__version__)"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class DockerSource:
    """Reads the local Docker engine. Blocking; one instance per thread of use; close it."""

    def __init__(self, client: Any | None = None, timeout_s: float = 10.0) -> None:
        """`client` is a `docker.DockerClient`; by default one is made from the environment."""
        self.host = docker_host()
        self.timeout_s = timeout_s
        self._client_obj = client

    def _client(self) -> Any:
        if self._client_obj is None:
            try:
                import docker
            except ImportError as error:
                raise DockerUnavailable(self.host, f"the Docker SDK is missing ({error})") from None
            with self._calls("connect"):
                self._client_obj = docker.from_env(timeout=max(1, round(self.timeout_s)))
        return self._client_obj

    def close(self) -> None:
        """Closes the connection to the engine, if one was made."""
        if self._client_obj is not None:
            self._client_obj.close()
            self._client_obj = None

    @contextmanager
    def _calls(self, what: str, name: str | None = None) -> Iterator[None]:
        """Turns what the SDK raises inside the block into typed one-line errors."""
        try:
            yield
        except DockerError:
            raise
        except Exception as error:
            typed = sdk_error(error, what, name, self.host)
            if typed is None:
                raise
            raise typed from None

    def ping(self) -> None:
        """Returns when the engine answers; raises DockerUnavailable or DockerPermissionDenied."""
        with self._calls("answer a ping"):
            self._client().ping()

    def containers(
        self, include_stopped: bool = False, vllm_only: bool = True
    ) -> tuple[ContainerInfo, ...]:
        """Returns the (vLLM) containers, running ones only unless `include_stopped`."""
        client = self._client()
        with self._calls("list containers"):
            found = client.containers.list(all=include_stopped, ignore_removed=True)
            infos = [container_from_inspect(c.attrs) for c in found]
        return tuple(i for i in sorted(infos, key=lambda i: i.name) if i.is_vllm or not vllm_only)

    def inspect(self, ref: str) -> ContainerInfo:
        """Returns the container with this exact name or id, or raises ContainerGone."""
        client = self._client()
        with self._calls(f"inspect {ref}", name=ref):
            return container_from_inspect(client.containers.get(ref).attrs)

    def find(self, ref: str) -> ContainerInfo:
        """Returns the one container `ref` names (name or id prefix, running or not).

        Raises NoSuchContainer (listing the vLLM containers) or AmbiguousContainer.
        """
        everything = self.containers(include_stopped=True, vllm_only=False)
        return choose_container(ref, everything)

    def find_by_port(self, port: int) -> ContainerInfo | None:
        """Returns the running container that serves 127.0.0.1:`port`, or None.

        A container serves it when it publishes it, or with `--network host` listens on it.
        """
        candidates = [
            info
            for info in self.containers(vllm_only=False)
            if (info.host_network and info.vllm_port == port)
            or any(b.host_port == port for b in info.ports)
        ]
        candidates.sort(key=lambda info: not info.is_vllm)
        return candidates[0] if candidates else None

    def check_attached(self, attached: ContainerInfo) -> ContainerInfo:
        """Returns the attached container read again, if it still runs the same process.

        Raises ContainerGone (removed), ContainerExited (stopped) or ContainerRestarted.
        """
        try:
            current = self.inspect(attached.id)
        except ContainerGone:
            raise ContainerGone(attached.name) from None
        if not current.running:
            raise ContainerExited(current.name, current.state, current.exit_code)
        if current.started_at is not None and current.started_at != attached.started_at:
            raise ContainerRestarted(current.name, current.started_at.isoformat(timespec="seconds"))
        return current

    def vllm_version(self, info: ContainerInfo, http_timeout_s: float = 2.0) -> VllmVersion:
        """Returns the container's vLLM version: from `/version` when the server answers on
        127.0.0.1, else from `python3 -c "import vllm; ..."` inside the container."""
        if not info.running:
            return VllmVersion(None, None, f"container {info.name} is {info.state}")
        port = info.host_port
        if port is not None:
            version = http_version(port, http_timeout_s)
            if version is not None:
                return VllmVersion(version, "/version")
        return self.exec_version(info)

    def exec_version(self, info: ContainerInfo) -> VllmVersion:
        """Returns the version `docker exec NAME python3 -c "import vllm; ..."` prints,
        or a VllmVersion saying why there is none (no python3, no vllm, not running)."""
        client = self._client()
        try:
            with self._calls(f"run python3 in {info.name}", name=info.name):
                container = client.containers.get(info.id)
                result = container.exec_run(["python3", "-c", VERSION_CODE], demux=True)
        except (DockerApiError, ContainerGone) as error:
            return VllmVersion(None, None, str(error))
        out, err = (part.decode(errors="replace") if part else "" for part in result.output)
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        if result.exit_code == 0 and lines:
            return VllmVersion(lines[-1], "docker exec")
        problem = (err or out).strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
        if result.exit_code in (126, 127) and "python3" in problem[0]:
            return VllmVersion(None, None, f"no python3 in container {info.name}")
        return VllmVersion(None, None, f"python3 in {info.name} failed: {problem[0][:160]}")

    def logs(self, info: ContainerInfo, lines: int = 100) -> tuple[str, ...]:
        """Returns the last `lines` lines of the container's output (stdout and stderr)."""
        client = self._client()
        with self._calls(f"read the logs of {info.name}", name=info.name):
            raw = client.containers.get(info.id).logs(tail=lines, stdout=True, stderr=True)
        return tuple(raw.decode(errors="replace").splitlines())

    def follow_logs(self, info: ContainerInfo, tail: int = 0) -> LogFollow:
        """Returns the container's log lines as written, after the last `tail` lines.

        The iteration ends when the container stops; `check_attached` then says why.
        """
        client = self._client()
        with self._calls(f"follow the logs of {info.name}", name=info.name):
            container = client.containers.get(info.id)
            stream = container.logs(stream=True, follow=True, tail=tail, stdout=True, stderr=True)
        return LogFollow(stream)


class LogFollow:
    """Decoded log lines of one container, as they come; ends when the container stops.

    Iterate it in a worker thread; `close()`, from any thread, ends the iteration.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._closed = False
        self._lines = self._read()

    def __iter__(self) -> LogFollow:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def close(self) -> None:
        """Stops the stream; a thread waiting for the next line sees the end."""
        self._closed = True
        self._close_stream()

    def _close_stream(self) -> None:
        try:
            self._stream.close()
        except Exception:  # closing twice, or a socket already gone: nothing left to stop
            pass

    def _read(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        try:
            for chunk in self._stream:
                pending += decoder.decode(chunk)
                *complete, pending = pending.split("\n")
                for line in complete:
                    yield line.rstrip("\r")
            pending += decoder.decode(b"", final=True)
            if pending:
                yield pending.rstrip("\r")
        except Exception:
            if not self._closed:  # a read broken by close() is the end, not an error
                raise
        finally:
            self._close_stream()


def choose_container(ref: str, containers: tuple[ContainerInfo, ...]) -> ContainerInfo:
    """Returns the one container `ref` names among `containers`.

    Raises NoSuchContainer (naming the vLLM containers) or AmbiguousContainer.
    """
    matches = match_containers(ref, containers)
    if not matches:
        raise NoSuchContainer(ref, [c.name for c in containers if c.is_vllm])
    if len(matches) > 1:
        raise AmbiguousContainer(ref, [c.name for c in matches])
    return matches[0]


def http_version(port: int, timeout_s: float) -> str | None:
    """Returns what GET http://127.0.0.1:PORT/version says, or None when it does not answer."""
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/version", timeout=timeout_s, trust_env=False)
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, json.JSONDecodeError):
        return None
    version = body.get("version") if isinstance(body, dict) else None
    return str(version) if version else None


def container_behind(
    endpoint: Endpoint, source: DockerSource | None = None, timeout_s: float = 3.0
) -> ContainerInfo | None:
    """Returns the local container serving a loopback endpoint, or None (also without Docker)."""
    parts = urlsplit(endpoint.base_url)
    if parts.hostname not in LOOPBACK_HOSTS or parts.port is None:
        return None
    docker_source = source or DockerSource(timeout_s=timeout_s)
    try:
        return docker_source.find_by_port(parts.port)
    except Exception:  # the container is extra detail: Docker trouble never breaks HTTP use
        return None
    finally:
        if source is None:
            docker_source.close()


def resolve_target(
    text: str, source: DockerSource | None = None, behind: bool = True
) -> tuple[Endpoint, ContainerInfo | None]:
    """Returns the endpoint `text` names, and the container behind it when there is one.

    `HOST:PORT` (or `:PORT`, a URL) is used as given, with the local container that
    serves that port, if any (not looked up when `behind` is False); a container name
    or id prefix gives 127.0.0.1 and its published (or host-network) port. Raises
    EndpointError, NoEndpoint, or the lookup's DockerError.
    """
    text = text.strip()
    if looks_like_address(text):
        endpoint = parse_endpoint(text)
        return endpoint, container_behind(endpoint, source) if behind else None
    owned = source is None
    docker_source = source or DockerSource()
    try:
        info = docker_source.find(text)
    except DockerUnavailable as error:
        raise EndpointError(
            f"{text!r} is not HOST:PORT, and no container of that name can be looked up: {error}"
        ) from None
    finally:
        if owned:
            docker_source.close()
    port = info.host_port
    if port is None:
        raise NoEndpoint(info.name, info.vllm_port)
    return Endpoint(f"http://127.0.0.1:{port}"), info
