"""`vlmconsole serve -- attach :PORT` opened in headless Chromium: the console in a page.

The installed program serves the console through textual-serve on 127.0.0.1; the
browser (network closed but for loopback) loads the page, the console draws the
real vLLM server on it, and a screenshot is kept as `test-artifacts/served-console.png`.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import ARTIFACTS
from tests.support.cli import program, user_env, workdir
from tests.support.devtools import BrowserPage
from tests.support.real_vllm import RealVllmServer, free_port

pytestmark = pytest.mark.e2e


def test_serve_shows_the_console_in_a_browser(vllm_server: RealVllmServer) -> None:
    port = free_port()
    serve = subprocess.Popen(
        [*program(), "serve", "--port", str(port), "--", "attach", f":{vllm_server.port}"],
        cwd=workdir(),
        env=user_env(vllm_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serve.stdout is not None
        said = serve.stdout.readline()
        assert f"serving `vlmconsole attach :{vllm_server.port}` on http://127.0.0.1:{port}" in said
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
        assert "googleapis" not in page and "textual.js" in page  # nothing fetched outside
        version = httpx.get(f"{vllm_server.base_url}/version", timeout=10).json()["version"]
        received, shot = asyncio.run(open_in_browser(f"http://127.0.0.1:{port}/", version))
        assert version in received and "KV" in received
        with Image.open(shot) as image:
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 8, "the screenshot is a blank page"
    finally:
        serve.terminate()
        _out, err = serve.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert serve.returncode == 0, err


async def open_in_browser(url: str, version: str) -> tuple[str, Path]:
    browser = BrowserPage()
    try:
        await browser.start()
        await browser.call("Page.navigate", url=url)
        await browser.wait_received(version, timeout_s=60)
        # the second scrape gives rates: the panel is whole then
        received = await browser.wait_received("rates over", timeout_s=30)
        await asyncio.sleep(1.5)  # let xterm.js draw the frame that carried it
        shot = await browser.screenshot(ARTIFACTS / "served-console.png")
        return received, shot
    finally:
        await browser.close()


def test_a_wider_bind_is_said_out_loud_and_the_key_stays_off_every_line() -> None:
    # 192.0.2.1 (a documentation address) is not on this machine: the bind fails at once,
    # no packet leaves, and what a wider bind would expose is said first
    done = subprocess.run(
        [
            *program(),
            "serve",
            "--host",
            "192.0.2.1",
            "--port",
            str(free_port()),
            "--",
            "attach",
            ":8000",
            "--api-key",
            "sk-do-not-print",
        ],
        cwd=workdir(),
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, lines
    assert "beyond this machine" in lines[0] and "no login" in lines[0]
    assert lines[1].startswith("vlmconsole: cannot listen on 192.0.2.1:")
    assert "sk-do-not-print" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
