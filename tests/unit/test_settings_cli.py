"""Settings on the command line: flags that leave room for the file, help with the schema's
defaults, and a bad file that ends a command with one line a problem and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from tests.unit.test_settings import env_with, write_file
from vlmconsole.cli import build_parser
from vlmconsole.commands.settings_flags import KEY_HELP
from vlmconsole.model import run_settings
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import (
    KEY_VARIABLES,
    KEYS,
    PREVIEWS,
    TRANSPORTS,
    Preview,
    Transport,
    flag_of,
    flags_from,
    load_settings,
)
from vlmconsole.ui import terminal_probe


@pytest.mark.parametrize("command", [["attach", ":8000"], ["demo"]])
def test_setting_flags_default_to_none_so_the_file_and_env_count(
    tmp_path: Path, command: list[str]
) -> None:
    args = build_parser().parse_args(command)
    assert flags_from(args) == dict.fromkeys(KEYS)
    write_file(tmp_path, 'preview = "sixel"\nmax_tokens = 5\n')
    settings = load_settings(flags_from(args), env_with(tmp_path))
    assert (settings.preview, settings.max_tokens) == ("sixel", 5)


def test_flags_on_the_command_line_reach_the_settings(tmp_path: Path) -> None:
    argv = ["attach", ":8000", "--no-preview", "--max-tokens", "9", "--policy", "slide:2"]
    argv += ["--images", str(tmp_path), "--text", "hi", "--interval", "3", "--timeout", "4"]
    write_file(tmp_path, 'preview = "sixel"\nmax_tokens = 5\n')
    settings = load_settings(flags_from(build_parser().parse_args(argv)), env_with(tmp_path))
    assert (settings.preview, settings.max_tokens, settings.text) == ("none", 9, "hi")
    assert (settings.scrape_interval_s, settings.timeout_s) == (3.0, 4.0)
    assert settings.policy == WindowPolicy("slide", 2) and settings.images_dir == tmp_path
    assert settings.source_of("preview") == "--preview" == flag_of("preview")


def test_help_shows_the_schemas_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["attach", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for text in ("reply length (default 64)", "seconds between scrapes (default 1)"):
        assert text in shown
    assert "seconds per HTTP answer (default 5)" in shown
    assert "image previews (default auto)" in shown
    assert "(default: the server's first)" in shown and "(default: What changed on" in shown
    assert "None" not in shown


def cli_env(tmp_path: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VLMCONSOLE_")}
    for name in ("VLLM_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        VLMCONSOLE_CONFIG=str(config),
        VLMCONSOLE_MAX_TOKEN="8",
    )
    return env


@pytest.mark.parametrize("command", [["attach", "127.0.0.1:9"], ["demo"], ["status", ":9"]])
def test_the_cli_prints_each_problem_on_a_line_and_exits_2(
    tmp_path: Path, command: list[str]
) -> None:
    config = write_file(
        tmp_path, 'scrape_intervall_s = 2\ntimeout_s = 0\napi_key = ["sk-secret"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "vlmconsole", *command],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(tmp_path, config),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"vlmconsole: unknown setting 'scrape_intervall_s' in {config}: "
        "did you mean 'scrape_interval_s'?",
        f"vlmconsole: timeout_s in {config}: must be more than 0, not 0",
        f"vlmconsole: api_key in {config}: must be a non-empty string (the value is not shown)",
        "vlmconsole: unknown setting 'VLMCONSOLE_MAX_TOKEN' in the environment: "
        "did you mean 'VLMCONSOLE_MAX_TOKENS'?",
    ]
    assert not (tmp_path / "data").exists(), "no session folder was made"


def test_the_closed_sets_and_key_variables_are_the_schemas() -> None:
    assert TRANSPORTS == get_args(Transport) == run_settings.TRANSPORTS
    assert PREVIEWS == get_args(Preview) == terminal_probe.PREVIEWS
    parser = build_parser()
    attach = parser.parse_args(["attach", ":8000"])
    assert attach.transport is None and attach.preview is None  # not given: the file's
    for flag, values in (("--transport", TRANSPORTS), ("--preview", PREVIEWS)):
        for value in values:
            chosen = parser.parse_args(["attach", ":8000", flag, value])
            assert getattr(chosen, flag.lstrip("-")) == value
    assert all(name in KEY_HELP for name in KEY_VARIABLES)


HEAVY_AT_START = (
    "pydantic",
    "numpy",
    "PIL",
    "openai",
    "textual_image.renderable",
    "docker",
    "prometheus_client",  # its package brings its HTTP exposition: ~35 ms
    # a turn's record and timing: nine frozen dataclasses, ~1 ms each to define; the
    # console draws no turn before the first one ends (the UI imports them for types only)
    "vlmconsole.model.turn_record",
    "vlmconsole.model.turn_timing",
    "vlmconsole.model.session",
)
"""What the console's start-up must not import: each cost tens of milliseconds before the
first frame (bench_console.py --only startup); they load when first needed."""


def test_the_console_starts_without_the_heavy_libraries() -> None:
    # what `attach` imports before App.run(): the command, the settings, the sources,
    # the terminal probe and the app (the first scrape's thread is not started here)
    code = (
        "import sys, vlmconsole.cli as c; c.build_parser();"
        " import vlmconsole.commands.attach, vlmconsole.settings, vlmconsole.sources.docker_source,"
        " vlmconsole.sources.live_sources, vlmconsole.ui.terminal_probe, vlmconsole.ui.app;"
        f" print(' '.join(m for m in {HEAVY_AT_START!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], "imported at start-up"


def test_the_first_scrape_and_the_app_need_no_httpx() -> None:
    # the early scrape reads a real (demo) server with http.client; httpx loads with the
    # console's first tick, after the first frame (~80 ms of start-up otherwise)
    code = (
        "import sys, tempfile, pathlib\n"
        "from vlmconsole.sim import SimConfig, run_in_thread\n"
        "from vlmconsole.sources.endpoint import parse_endpoint\n"
        "from vlmconsole.sources.live_sources import LiveSources\n"
        "with run_in_thread(SimConfig(speed=100)) as sim:\n"
        "    sources = LiveSources(parse_endpoint(sim.base_url), None,"
        " pathlib.Path(tempfile.mkdtemp()), 'r')\n"
        "    sources.scrape_ahead()\n"
        "    assert sources.metrics.wait_s(20), 'the first scrape never ended'\n"
        "    import vlmconsole.ui.app\n"
        "    first = sources.metrics.ready()\n"
        "    assert first is not None and first.info.models, first\n"
        "    print('httpx' in sys.modules, first.snapshot.has('kv_cache_usage'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"], done.stdout
