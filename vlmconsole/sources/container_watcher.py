"""The container behind the server, checked on demand: its state and what happened to it.

The policy lives here, not in the console: a restart or an exit is reported with the
container as it is now; a container that is gone is replaced by a new one under the
same name, when there is one. The console only renders the ContainerStatus.
Every call blocks (the Docker SDK), so the console calls from a thread worker.
"""

from __future__ import annotations

from vlmconsole.model.container import ContainerInfo, ContainerStatus
from vlmconsole.sources.docker_errors import (
    ContainerExited,
    ContainerGone,
    ContainerRestarted,
    DockerError,
    NoSuchContainer,
)
from vlmconsole.sources.docker_source import DockerSource, LogFollow

CHECK_TIMEOUT_S = 3.0
LOG_TIMEOUT_S = 10.0


class ContainerWatcher:
    """Follows one container by id, and by name once its id is gone."""

    def __init__(self, attached: ContainerInfo, docker: DockerSource | None = None) -> None:
        self.attached = attached
        self._docker = docker or DockerSource(timeout_s=CHECK_TIMEOUT_S)
        self._log_docker = DockerSource(timeout_s=LOG_TIMEOUT_S)

    def check(self) -> ContainerStatus:
        """Returns the container as it is now and what happened since the last check."""
        docker = self._docker
        attached = self.attached
        note: str | None = None
        info: ContainerInfo | None
        try:
            info = docker.check_attached(attached)
        except (ContainerRestarted, ContainerExited) as event:
            note = str(event)
            info = self._inspect(attached)
        except ContainerGone as gone:
            note = str(gone)
            try:  # a new container under the same name is the one to watch
                info = docker.find(attached.name)
            except (NoSuchContainer, DockerError):
                info = None
        except DockerError as error:
            note, info = str(error), attached
        if info is not None:
            self.attached = info
        return ContainerStatus(info, note)

    def _inspect(self, attached: ContainerInfo) -> ContainerInfo:
        try:
            return self._docker.inspect(attached.id)
        except DockerError:
            return attached

    def follow_logs(self, info: ContainerInfo, tail: int) -> LogFollow:
        """Opens the container's log stream (its own connection: it blocks while open)."""
        return self._log_docker.follow_logs(info, tail=tail)

    def close(self) -> None:
        """Closes the Docker connections."""
        self._docker.close()
        self._log_docker.close()
