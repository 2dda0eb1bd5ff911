"""The command line runs: help, version, and no command at all."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vlmconsole import __version__
from vlmconsole.cli import main


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"vlmconsole {__version__}"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: vlmconsole" in capsys.readouterr().out


def test_installed_console_script_answers_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlmconsole", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "vLLM" in done.stdout
