"""The console on vLLM in a container: its state in the header, its log, stop and start."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.app.console_host import console_for, until
from tests.docker.conftest import VllmContainer, docker
from vlmconsole.model.connection import Link
from vlmconsole.sources.docker_source import resolve_target
from vlmconsole.ui.widgets.logs_pane import LogsPane
from vlmconsole.ui.widgets.server_header import ServerHeader

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

STARTUP = ("Starting vLLM API server", "Application startup complete")


async def test_console_attached_by_port_finds_its_container(
    vllm_container: VllmContainer, tmp_path: Path
) -> None:
    """`attach 127.0.0.1:PORT` looks up the container once the console is up, as attach does."""
    app = console_for(vllm_container.base_url, tmp_path, images=None, find_container=True)
    async with app.run_test(size=(160, 50)) as pilot:
        header = app.query_one(ServerHeader)
        assert app.console_screen.container is None
        await until(pilot, lambda: vllm_container.name in str(header.render()), 30)
        assert "vlmconsole-test/vllm-cpu:0.32.0" in str(header.render())
        assert (
            app.console_screen.container is not None
            and app.console_screen.container.name == vllm_container.name
        )


async def test_console_follows_the_container(vllm_container: VllmContainer, tmp_path: Path) -> None:
    endpoint, container = resolve_target(vllm_container.name)
    assert container is not None and endpoint.base_url == vllm_container.base_url
    app = console_for(endpoint.base_url, tmp_path, images=None, container=container)
    async with app.run_test(size=(160, 50)) as pilot:
        header = app.query_one(ServerHeader)
        await until(pilot, lambda: app.console_screen.connection.link is Link.LIVE, 30)
        text = str(header.render())
        assert (
            vllm_container.name in text
            and "running" in text
            and "vlmconsole-test/vllm-cpu:0.32.0" in text
        )
        await pilot.press("l")
        logs = app.query_one(LogsPane)
        await until(
            pilot, lambda: any(m in line for line in logs.shown_lines() for m in STARTUP), 30
        )

        docker("stop", "--time", "30", vllm_container.name)
        stopped_at = time.monotonic()
        await until(pilot, lambda: "exited" in str(header.render()), 10)
        assert time.monotonic() - stopped_at < 2.0, "the stop shows within two seconds"
        await until(pilot, lambda: app.console_screen.connection.link is Link.LOST, 10)

        docker("start", vllm_container.name)
        await until(pilot, lambda: "running" in str(header.render()), 10)
        await until(pilot, lambda: app.console_screen.connection.link is Link.LIVE, 180)
        await until(pilot, lambda: len(logs.shown_lines()) > 0, 30)
