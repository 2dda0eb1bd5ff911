"""Where a server's launch settings are read: /server_info, and the command line of the
container (Docker inspect) or of the local process listening on the server's port.

`read_launch` gathers them and hands them to `model.launch_config`, which picks each
setting's value. Every part is optional: a server without VLLM_SERVER_DEV_MODE has no
/server_info, a remote server has no local process, and what cannot be read is left
out, never an error.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from vlmconsole.model.container import ContainerInfo, runs_vllm
from vlmconsole.model.launch_config import LaunchConfig, launch_config
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http import make_client

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(endpoint: Endpoint) -> bool:
    """Returns True when the endpoint's host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(endpoint.base_url).hostname or "").lower()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_command(port: int) -> tuple[tuple[str, ...], str] | None:
    """Returns the command line of the local vLLM process listening on `port`, and its
    pid as the source, or None when there is none, it is not vLLM, or it cannot be read."""
    import psutil  # only when asked: not at the console's start

    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid is None:
                    continue
                argv = tuple(psutil.Process(conn.pid).cmdline())
                if runs_vllm(argv):  # not a proxy's or another program's
                    return argv, f"process {conn.pid}"
    return None


async def server_config(
    endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float
) -> Mapping[str, Any] | None:
    """Returns /server_info's vllm_config as JSON, or None when it is not served."""
    client = make_client(endpoint, api_key, timeout_s, keep_alive=False)
    try:
        response = await client.get("/server_info", params={"config_format": "json"})
        if response.status_code != 200:
            return None
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    finally:
        await client.aclose()
    config = body.get("vllm_config") if isinstance(body, dict) else None
    return config if isinstance(config, dict) else None


async def read_launch(
    endpoint: Endpoint,
    api_key: ApiKey | None,
    timeout_s: float,
    *,
    cache_labels: Mapping[str, str] | None,
    max_model_len: int | None,
    container: ContainerInfo | None,
) -> LaunchConfig:
    """Returns the launch settings from every place that tells (see the module)."""
    import asyncio

    command: Sequence[str] = ()
    source: str | None = None
    if container is not None and container.command:
        command, source = container.command, f"docker inspect {container.name}"
    elif is_loopback(endpoint):
        port = urlsplit(endpoint.base_url).port or 80
        found = await asyncio.to_thread(local_command, port)
        if found is not None:
            command, source = found
    config = await server_config(endpoint, api_key, timeout_s)
    return launch_config(
        server_config=config,
        cache_labels=cache_labels,
        max_model_len=max_model_len,
        command=command,
        command_source=source,
    )
