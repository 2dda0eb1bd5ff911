"""Runs the real `vlmconsole` command line as a user would, for e2e tests.

The program is the installed wheel (`tests/support/wheel.py`), run from a working
folder outside the checkout: what users install is what the e2e tier proves.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.real_vllm import RealVllmServer
from tests.support.wheel import installed_wheel


def user_env(server: RealVllmServer | None = None, key: bool = True) -> dict[str, str]:
    """Returns the environment of a user, with the server's key in VLLM_API_KEY."""
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_API_KEY", "OPENAI_API_KEY")}
    if key and server is not None and server.api_key:
        env["VLLM_API_KEY"] = server.api_key
    return env


def program() -> list[str]:
    """Returns the command that starts the installed `vlmconsole`."""
    return [str(installed_wheel().program)]


def workdir() -> Path:
    """Returns the working folder the installed program runs in (outside the checkout)."""
    return installed_wheel().workdir


def vlmconsole(
    *args: str, server: RealVllmServer | None = None, key: bool = True, timeout_s: float = 600
) -> subprocess.CompletedProcess[str]:
    """Runs `vlmconsole ARGS`; returns the finished process with its output."""
    return subprocess.run(
        [*program(), *args],
        cwd=workdir(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=user_env(server, key),
        stdin=subprocess.DEVNULL,
    )
