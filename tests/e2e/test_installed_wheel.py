"""The wheel as a user installs it: a fresh venv, another folder, the checkout out of reach.

`installed_wheel()` builds the wheel from a copy of the checkout, deletes that copy,
and installs the wheel into a new venv; these tests then run the installed program
from a working folder outside the repository.
"""

from __future__ import annotations

import subprocess

import pytest

import vlmconsole
from tests.support.cli import user_env
from tests.support.cli import vlmconsole as run_vlmconsole
from tests.support.real_vllm import REPO, RealVllmServer
from tests.support.tmux import TmuxSession
from tests.support.wheel import installed_wheel

pytestmark = pytest.mark.e2e

TRACEBACK = "Traceback (most recent call last)"


def test_the_installed_program_is_the_wheel_not_the_checkout() -> None:
    installed = installed_wheel()
    done = subprocess.run(
        [str(installed.python), "-c", "import vlmconsole; print(vlmconsole.__file__)"],
        capture_output=True, text=True, timeout=60, cwd=installed.workdir,
    )  # fmt: skip
    where = done.stdout.strip()
    assert where.startswith(str(installed.venv)), where
    assert not where.startswith(str(REPO)), where


def test_version_from_another_folder() -> None:
    done = run_vlmconsole("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"vlmconsole {vlmconsole.__version__}"


def test_status_against_the_real_server(vllm_server: RealVllmServer) -> None:
    done = run_vlmconsole("status", f":{vllm_server.port}", server=vllm_server, timeout_s=120)
    assert done.returncode == 0, done.stderr
    assert "0.32.0" in done.stdout and "KV cache" in done.stdout
    assert TRACEBACK not in done.stdout + done.stderr


def test_demo_in_tmux_shows_kv_cache_pushes_a_screenshot_and_changes_theme() -> None:
    installed = installed_wheel()
    home = installed.workdir / "home"
    home.mkdir(exist_ok=True)
    path = user_env()["PATH"]
    command = (
        f"cd {installed.workdir} && env -i HOME={home} PATH='{path}' TERM=xterm-256color "
        f"{installed.program} demo --speed 5; echo CONSOLE-EXITED $?; sleep 30"
    )
    console = TmuxSession("vlmconsole-wheel-demo")
    console.start(command, (160, 50))
    try:
        shown = console.wait_for("the KV-cache figure", lambda s: "KV cache" in s and "%" in s, 60)
        assert "Gi=" not in console.title(), "the preview probe left the title alone"
        assert TRACEBACK not in shown
        console.press("n")
        shown = console.wait_for("turn 1's receipt", lambda s: "✓ turn 1 ·" in s, 60)
        assert "image" in shown and "tok" in shown and "TTFT" in shown
        before = console.screen(colours=True)
        console.press("t")
        shown = console.wait_for("the next theme", lambda s: "theme vlm-light" in s, 15)
        assert console.screen(colours=True) != before, "the colours changed with the theme"
        assert TRACEBACK not in shown
        console.press("q")
        shown = console.wait_for("the console quitting", lambda s: "CONSOLE-EXITED" in s, 15)
        assert "CONSOLE-EXITED 0" in shown and TRACEBACK not in shown, shown
        assert "Gi=" not in console.title() and "a=q" not in console.title()
        assert list(home.glob(".local/share/vlmconsole/sessions/*/journal.jsonl")), "turn kept"
    finally:
        console.close()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("status", "256.1.1.1:80"), "vlmconsole: '256.1.1.1:80': '256.1.1.1' is not a host name"),
        (("status", "http://[zz]:80"), "vlmconsole: 'http://[zz]:80' is not a usable address:"),
        (("bench", ":9", "--synthetic", "0x0"), "vlmconsole bench: argument --synthetic: '0x0'"),
        (("bench", ":9", "--synthetic", "8x8", "--text", "{bad}"), "{bad} is not a placeholder"),
        (("bench", ":9", "--synthetic", "8x8", "--stall-timeout", "0"), "more than 0 s, not 0"),
    ],
)
def test_bad_arguments_from_the_installed_program(args: tuple[str, ...], line: str) -> None:
    done = run_vlmconsole(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and line in done.stderr, done.stderr
    assert TRACEBACK not in done.stderr
    assert not any(installed_wheel().workdir.glob("vlmconsole-bench-*")), "nothing made"
