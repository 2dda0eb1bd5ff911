"""Small typed errors of the Docker source, each one line a person can act on.

`docker_host()` names where the engine is looked for; `sdk_error()` and
`engine_error()` turn what the Docker SDK raises into one of these errors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from vlmconsole.sources.source_errors import SourceError

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def docker_host() -> str:
    """Returns where the Docker SDK looks for the engine: DOCKER_HOST, else the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


class DockerError(SourceError):
    """Something about Docker or a container went wrong."""


class DockerUnavailable(DockerError):
    """No Docker engine answers: the SDK is missing, no socket, or the engine is not running."""

    def __init__(self, host: str, cause: str) -> None:
        super().__init__(f"Docker is not reachable at {host}: {cause}")
        self.host = host
        self.cause = cause


class DockerPermissionDenied(DockerError):
    """The engine's socket exists but this user may not use it."""

    def __init__(self, host: str) -> None:
        super().__init__(
            f"permission denied on {host}: add your user to the `docker` group "
            "(then log in again) or run as root"
        )
        self.host = host


class DockerApiError(DockerError):
    """The engine answered with an error that has no more specific type."""

    def __init__(self, what: str, explanation: str) -> None:
        super().__init__(f"Docker could not {what}: {explanation}")


class NoSuchContainer(DockerError):
    """A name or id prefix matches no container."""

    def __init__(self, ref: str, vllm_names: Sequence[str]) -> None:
        here = ", ".join(vllm_names) if vllm_names else "none"
        super().__init__(f"no container named {ref}; vLLM containers here: {here}")
        self.ref = ref


class AmbiguousContainer(DockerError):
    """A name or id prefix matches several containers."""

    def __init__(self, ref: str, names: Sequence[str]) -> None:
        super().__init__(
            f"{ref} matches {len(names)} containers: {', '.join(names)}; give the full name"
        )
        self.ref = ref
        self.names = tuple(names)


class ContainerGone(DockerError):
    """The container was removed (while attached, or between listing and reading it)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"container {name} was removed")
        self.name = name


class ContainerExited(DockerError):
    """The attached container stopped."""

    def __init__(self, name: str, state: str, exit_code: int | None) -> None:
        code = f" (exit code {exit_code})" if exit_code is not None else ""
        hint = ": start it again to reattach" if state in ("exited", "dead", "created") else ""
        super().__init__(f"container {name} is {state}{code}{hint}")
        self.name = name
        self.state = state
        self.exit_code = exit_code


class ContainerRestarted(DockerError):
    """The attached container was restarted: counters and logs begin again."""

    def __init__(self, name: str, started_at: str) -> None:
        super().__init__(f"container {name} restarted at {started_at}: its counters began again")
        self.name = name


class NoEndpoint(DockerError):
    """The container publishes no port that reaches vLLM from 127.0.0.1."""

    def __init__(self, name: str, vllm_port: int) -> None:
        super().__init__(
            f"container {name} publishes no port for vLLM's port {vllm_port}: "
            f"run it with -p {vllm_port}:{vllm_port} or --network host"
        )
        self.name = name


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 12:  # bounded: chains can loop
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def engine_error(error: BaseException, host: str) -> DockerError:
    """Returns the typed error for an SDK failure to reach the engine at `host`."""
    chain = _causes(error)
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, PermissionError) for e in chain) or "Permission denied" in text:
        return DockerPermissionDenied(host)
    if any(isinstance(e, FileNotFoundError) for e in chain):
        cause = "no such socket (is the engine installed and started?)"
    elif any(isinstance(e, ConnectionRefusedError) for e in chain):
        cause = "connection refused (the engine is not running)"
    elif any(isinstance(e, TimeoutError) for e in chain) or "timed out" in text.lower():
        cause = "no answer in time (the engine is busy or hung)"
    else:
        cause = str(chain[-1]).splitlines()[0][:160] if str(chain[-1]) else type(error).__name__
    return DockerUnavailable(host, cause)


def sdk_error(error: Exception, what: str, name: str | None, host: str) -> DockerError | None:
    """Returns the typed error for what the Docker SDK raised, or None when it is not Docker's.

    `what` says what was being done ("list containers"); `name` is the container the
    call was about, so that a 404 becomes ContainerGone(name).
    """
    from docker import errors as sdk

    if isinstance(error, sdk.NotFound) and name is not None:
        return ContainerGone(name)
    if isinstance(error, sdk.APIError):
        if error.status_code in (401, 403) or "permission denied" in str(error).lower():
            return DockerPermissionDenied(host)
        return DockerApiError(what, str(error.explanation or error).splitlines()[0])
    if isinstance(error, sdk.DockerException | OSError):
        return engine_error(error, host)
    return None
