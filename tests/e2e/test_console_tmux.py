"""The real console in tmux against a real vLLM: keystrokes in, the screen read back.

Its own server (it is killed and restarted on the same port), so the session
server of the other e2e tests is left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import program, user_env, workdir
from tests.support.real_vllm import RealVllmServer, running_requests
from tests.support.tmux import TmuxSession
from vlmconsole.packaged import sample_screenshots
from vlmconsole.sources.journal import read_journal

pytestmark = pytest.mark.e2e

ASSETS = sample_screenshots()
SESSION = "vlmconsole-e2e"


@pytest.fixture()
def server(own_vllm_server: RealVllmServer) -> RealVllmServer:
    """Its own server: it is killed and restarted."""
    return own_vllm_server


def attach_command(server: RealVllmServer, session_dir: Path, max_tokens: int) -> str:
    """Returns the shell line that starts the installed console on `server`, as a user would."""
    env = " ".join(f"{k}='{v}'" for k, v in user_env(server).items() if k in ("VLLM_API_KEY",))
    return (
        f"cd {workdir()} && env {env} TERM=xterm-256color {program()[0]} attach :{server.port} "
        f"--images {ASSETS} --session-dir {session_dir} --no-preview --max-tokens {max_tokens}"
    )


def test_console_in_tmux_pushes_screenshots_and_rides_out_a_restart(
    server: RealVllmServer, tmp_path: Path
) -> None:
    session_dir = tmp_path / "session"
    command = attach_command(server, session_dir, max_tokens=8)
    console = TmuxSession(SESSION)
    console.start(command, (160, 50))
    wait_for, screen = console.wait_for, console.screen
    try:
        wait_for("the version and a live link", lambda s: "vLLM 0.32.0" in s and "live" in s, 60)
        for turn in (1, 2, 3):
            console.press("n")
            receipt = f"✓ turn {turn} ·"
            wait_for(f"turn {turn}'s receipt", lambda s: receipt in s, 120)  # noqa: B023
        shown = screen()
        assert "image 863 tok" in shown and "cached" in shown and "TTFT" in shown
        records = read_journal(session_dir / "journal.jsonl").records
        assert [r.turn for r in records] == [1, 2, 3] and all(r.ok for r in records)

        server.stop()
        wait_for("the lost connection", lambda s: "connection lost" in s, 30)
        assert console.alive()
        assert "data" in screen() and "old" in screen(), "the age of what is on screen"

        server.start()
        server.wait_healthy()
        wait_for("the link back", lambda s: "● live" in s, 60)
        console.press("n")
        wait_for("a turn after the restart", lambda s: "✓ turn 4 ·" in s, 120)
    finally:
        console.close()


def test_console_in_tmux_fails_the_turn_in_flight_when_vllm_is_sigkilled(
    server: RealVllmServer, tmp_path: Path
) -> None:
    import os
    import signal
    import time

    session_dir = tmp_path / "session"
    command = attach_command(server, session_dir, max_tokens=4000)
    console = TmuxSession(SESSION + "-kill")
    console.start(command, (160, 50))
    try:
        console.wait_for("a live link", lambda s: "vLLM 0.32.0" in s and "● live" in s, 60)
        console.press("n")
        deadline = time.monotonic() + 120
        while running_requests(server) < 1:  # the turn is out and being answered
            assert time.monotonic() < deadline, "the turn never ran"
            time.sleep(0.05)
        time.sleep(0.5)
        assert server.process is not None
        killed_at = time.monotonic()
        # every vLLM process, as a killed container loses them all (killed alone, the API
        # server leaves its engine decoding on both cores for a while, and the console
        # shares those cores)
        os.killpg(server.process.pid, signal.SIGKILL)
        shown = console.wait_for("turn 1 failed", lambda s: "✗ turn 1 failed" in s, 15)
        took_s = time.monotonic() - killed_at
        assert took_s < 5.0, f"the receipt came {took_s:.1f} s after the kill"
        assert "Traceback" not in shown and console.alive()
        records = read_journal(session_dir / "journal.jsonl").records
        assert [r.status for r in records] == ["failed"] and records[0].reply
    finally:
        console.close()
