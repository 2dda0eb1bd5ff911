"""Fixtures shared by every test tier."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.real_vllm import REPO, RealVllmServer, free_port

ARTIFACTS = REPO / "test-artifacts"
E2E_API_KEY = "sk-e2e-d0c5b2a1-never-shown"
"""The session server runs with --api-key, as production servers often do."""


@pytest.fixture(scope="session")
def vllm_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealVllmServer]:
    """A real vLLM CPU server on 127.0.0.1, started once for the whole session.

    Its log is copied to test-artifacts/ when any test of the session failed.
    """
    log_path = tmp_path_factory.mktemp("vllm-server") / "server.log"
    media = tmp_path_factory.getbasetemp()  # the file transport's images live below it
    server = RealVllmServer(
        port=free_port(),
        log_path=log_path,
        api_key=E2E_API_KEY,
        extra_args=("--allowed-local-media-path", str(media)),
    )
    server.start()
    try:
        took_s = server.wait_healthy()
        print(f"\nvLLM healthy on {server.base_url} after {took_s:.1f} s (log: {log_path})")
        yield server
    finally:
        server.stop()
        if request.session.testsfailed:
            ARTIFACTS.mkdir(exist_ok=True)
            kept = ARTIFACTS / "vllm-server.log"
            shutil.copyfile(log_path, kept)
            print(f"\nvLLM server log kept at {kept}")


@pytest.fixture()
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO


@pytest.fixture()
def own_vllm_server(tmp_path: Path) -> Iterator[RealVllmServer]:
    """A real vLLM CPU server of the test's own (to kill and restart), stopped after it."""
    made = RealVllmServer(port=free_port(), log_path=tmp_path / "server.log", api_key="sk-own")
    made.start()
    try:
        made.wait_healthy()
        yield made
    finally:
        made.stop()
