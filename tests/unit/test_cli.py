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


def test_a_command_loads_only_its_own_module() -> None:
    # `status --help` parses one command: the others' modules (fleet's, bench's ...) stay out
    code = (
        "import sys, vlmconsole.cli as c\n"
        "try:\n    c.main(['status', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('vlmconsole.commands.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--watch" in done.stdout
    loaded = done.stdout.strip().splitlines()[-1].split()
    assert "vlmconsole.commands.status" in loaded
    assert not {"vlmconsole.commands.fleet", "vlmconsole.commands.bench"} & set(loaded)


def test_every_command_is_still_listed_and_a_misspelt_one_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("attach", "demo", "status", "bench", "fleet", "ps"))
    with pytest.raises(SystemExit) as exit_info:
        main(["statsu", ":8000"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'statsu'" in capsys.readouterr().err
