"""A real vLLM killed with SIGKILL while a turn is in flight: the turn fails within
seconds (not after the stall timeout), the journal keeps it, the run goes on and says
so, and once the server is back turns work again.

Its own server (killed and restarted), so the session server is left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import program, user_env, workdir
from tests.support.real_vllm import RealVllmServer, running_requests
from vlmconsole.sources.journal import read_journal

pytestmark = pytest.mark.e2e

GONE_MESSAGES = (
    "the server went away mid-turn: connection refused",
    "the server stopped answering mid-turn",
    "the server closed the connection mid-answer",
    "lost the server",
)


@pytest.fixture()
def server(own_vllm_server: RealVllmServer) -> RealVllmServer:
    """Its own server: it is killed and restarted."""
    return own_vllm_server


def journal_records(path: Path) -> int:
    return len(read_journal(path).records) if path.exists() else 0


def wait_until(what: str, check: object, timeout_s: float) -> float:
    """Polls `check()` every 50 ms; returns when it held, or fails saying `what`."""
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {timeout_s:.0f} s")


def test_bench_fails_the_turn_in_flight_within_5_s_of_a_sigkill(
    server: RealVllmServer, tmp_path: Path
) -> None:
    out = tmp_path / "bench"
    journal = out / "journal.jsonl"
    bench = subprocess.Popen(
        [*program(), "bench", f":{server.port}", "--synthetic", "640x360", "--turns", "3",
         "--max-tokens", "4000", "--stall-timeout", "120", "--out", str(out)],
        cwd=workdir(), env=user_env(server), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until("turn 1 on disk", lambda: journal_records(journal) >= 1, 240)
        wait_until("turn 2 running", lambda: running_requests(server) >= 1, 60)
        assert server.process is not None
        killed_at = time.monotonic()
        os.kill(server.process.pid, signal.SIGKILL)  # the API server only, as `kill -9` would
        failed_at = wait_until("turn 2 failed", lambda: journal_records(journal) >= 2, 60)
        stdout, stderr = bench.communicate(timeout=120)
    finally:
        if bench.poll() is None:
            bench.kill()
        server.stop()
    took_s = failed_at - killed_at
    records = read_journal(journal).records
    print(f"\nturn 2 failed {took_s:.2f} s after the SIGKILL: {records[1].error}")
    assert records[0].ok
    assert records[1].status == "failed" and records[1].error is not None
    assert records[1].error.startswith(GONE_MESSAGES), records[1].error
    assert took_s < 5.0, f"turn 2 failed {took_s:.1f} s after the kill"
    assert [r.status for r in records] == ["ok", "failed", "failed"], "the run went on"
    assert bench.returncode == 1, (stdout, stderr)
    assert "Traceback" not in stdout + stderr
    assert "failed: " in stdout

    server.start()  # back: a new bench turn works
    server.wait_healthy()
    again = subprocess.run(
        [*program(), "bench", f":{server.port}", "--synthetic", "640x360", "--turns", "1",
         "--max-tokens", "4", "--out", str(tmp_path / "again")],
        cwd=workdir(), env=user_env(server), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr


async def test_a_turn_behind_a_proxy_that_keeps_the_connection_fails_within_5_s(
    server: RealVllmServer, tmp_path: Path
) -> None:
    """Behind a proxy (Docker's port forwarding, a load balancer) a killed server's
    connection can stay open and silent; only the stall timeout would end the turn."""
    import asyncio

    from tests.support.fault_proxy import FaultProxy

    proxy = FaultProxy(target_port=server.port, hold_when_server_drops=True)
    await proxy.start()
    out = tmp_path / "bench"
    journal = out / "journal.jsonl"
    bench = await asyncio.create_subprocess_exec(
        *program(), "bench", f":{proxy.port}", "--synthetic", "640x360", "--turns", "2",
        "--max-tokens", "4000", "--stall-timeout", "120", "--out", str(out),
        cwd=workdir(), env=user_env(server), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip

    async def until(what: str, check: object, timeout_s: float) -> float:
        assert callable(check)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await asyncio.to_thread(check):
                return time.monotonic()
            await asyncio.sleep(0.05)
        pytest.fail(f"{what}: not within {timeout_s:.0f} s")

    try:
        await until("turn 1 on disk", lambda: journal_records(journal) >= 1, 240)
        await until("turn 2 running", lambda: running_requests(server) >= 1, 60)
        assert server.process is not None
        killed_at = time.monotonic()
        os.killpg(os.getpgid(server.process.pid), signal.SIGKILL)  # every vLLM process
        failed_at = await until("turn 2 failed", lambda: journal_records(journal) >= 2, 60)
        stdout, stderr = await asyncio.wait_for(bench.communicate(), 60)
    finally:
        if bench.returncode is None:
            bench.kill()
        await proxy.stop()
        server.stop()
    took_s = failed_at - killed_at
    record = read_journal(journal).records[1]
    print(f"\nbehind the proxy, turn 2 failed {took_s:.2f} s after the kill: {record.error}")
    assert record.status == "failed" and record.error is not None
    assert record.error.startswith("the server went away mid-turn"), record.error
    assert took_s < 5.0, f"turn 2 failed {took_s:.1f} s after the kill"
    assert bench.returncode == 1 and b"Traceback" not in stdout + stderr
