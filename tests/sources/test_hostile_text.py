"""Text a server controls is data: `status` and the console show it literally, never obey it.

The hostile server's version, model id and both engines' labels carry markup, an
erase-screen, a set-title and a colour escape.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.app.console_host import console_for, until
from tests.support.fake_http import FakeHttp
from tests.support.hostile import HOSTILE, SHOWN, assert_no_escape, hostile_server
from vlmconsole.ui.textual_private import screen_lines


@pytest.fixture()
async def hostile() -> AsyncIterator[FakeHttp]:
    server = hostile_server()
    await server.start()
    yield server
    await server.stop()


async def run_status(server: FakeHttp, *args: str, terminal: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_API_KEY", "OPENAI_API_KEY")}
    if terminal:  # rich then writes its own colours, as on a terminal
        env.update(FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="160")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "vlmconsole", "status", server.base_url, "--sample", "0", *args],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


async def test_status_piped_prints_hostile_text_literally_with_no_escape(hostile: FakeHttp) -> None:
    out = await run_status(hostile, terminal=False)
    assert_no_escape(out)
    assert out.count(SHOWN) >= 3, "version, model and engine labels, shown as written"


async def test_status_on_a_terminal_keeps_only_its_own_colours(hostile: FakeHttp) -> None:
    out = await run_status(hostile, terminal=True)
    for sequence in ("\x1b[2J", "\x1b]0;", "\x07", "\x1b[31mRED"):
        assert sequence not in out, f"{sequence!r} reached the terminal"
    assert SHOWN in out


async def test_status_json_carries_the_text_without_control_characters(hostile: FakeHttp) -> None:
    out = await run_status(hostile, "--json", terminal=False)
    assert_no_escape(out)
    data = json.loads(out)
    assert data["server"]["version"].startswith(SHOWN)
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)


async def test_the_console_shows_hostile_text_literally(hostile: FakeHttp, tmp_path: Path) -> None:
    app = console_for(hostile.base_url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: SHOWN in "\n".join(screen_lines(app.screen)))
        await pilot.pause(0.5)
        shown = "\n".join(screen_lines(app.screen))
        assert_no_escape(shown)
        assert "RED" in shown and HOSTILE not in shown
        assert app.title == "vlmconsole" or "\x1b" not in app.title


async def test_piped_status_keeps_long_lines_whole(hostile: FakeHttp) -> None:
    out = await run_status(hostile, terminal=False)
    kv_line = next(line for line in out.splitlines() if line.startswith("KV cache"))
    assert kv_line.rstrip().endswith("max concurrency 64"), kv_line
