"""Headless Chromium driven over the DevTools protocol, for pages that live on a websocket
(the console served by `vlmconsole serve`, drawn by xterm.js on a canvas).

`BrowserPage.open(url)` loads the page with the network closed except loopback, records
every websocket frame the page receives (the console's screen, as terminal output),
and can take a screenshot. The protocol is spoken with aiohttp (a dependency already).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.browser import chromium

LOOPBACK_ONLY = (
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
"""The network closed to the browser but for 127.0.0.1 (the served console)."""
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class BrowserPage:
    """One Chromium with one page, spoken to over DevTools."""

    def __init__(self, size: tuple[int, int] = (1400, 900)) -> None:
        self.size = size
        self.profile = tempfile.mkdtemp(prefix="vlmconsole-chromium-")
        self.process: subprocess.Popen[str] | None = None
        self.frames: list[bytes] = []
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Starts Chromium and attaches to its first page."""
        self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={self.size[0]},{self.size[1]}",
                *LOOPBACK_ONLY,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stderr is not None
        browser_ws = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = await asyncio.to_thread(self.process.stderr.readline)
            found = LISTENING.search(line)
            if found:
                browser_ws = found.group(1)
                break
            if not line and self.process.poll() is not None:
                break
        assert browser_ws, "chromium did not open DevTools"
        port = browser_ws.split(":")[2].split("/")[0]
        self._session = aiohttp.ClientSession()
        async with self._session.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in await response.json() if t["type"] == "page"]
        self._ws = await self._session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.call("Network.enable")
        await self.call("Page.enable")

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._answers:
                self._answers.pop(data["id"]).set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                response = data["params"]["response"]
                payload = response["payloadData"]
                self.frames.append(
                    base64.b64decode(payload) if response.get("opcode") == 2 else payload.encode()
                )

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends one DevTools command; returns its result."""
        assert self._ws is not None
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[ident] = future
        await self._ws.send_json({"id": ident, "method": method, "params": params})
        answer = await asyncio.wait_for(future, 30)
        assert "error" not in answer, answer
        result: dict[str, Any] = answer.get("result", {})
        return result

    def received(self) -> str:
        """Returns everything the page's websockets received, as text."""
        return b"".join(self.frames).decode("utf-8", errors="replace")

    async def wait_received(self, text: str, timeout_s: float = 30) -> str:
        """Waits (bounded) until the page has received `text`; returns all it received."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.received()
            if text in got:
                return got
            await asyncio.sleep(0.2)
        raise AssertionError(f"{text!r} not received in {timeout_s} s: {self.received()[-500:]!r}")

    async def screenshot(self, out: Path) -> Path:
        """Saves the page as the PNG `out`."""
        shot = await self.call("Page.captureScreenshot", format="png")
        data = base64.b64decode(shot["data"])
        await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(out.write_bytes, data)
        return out

    async def close(self) -> None:
        """Closes the page and the browser."""
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        import shutil

        shutil.rmtree(self.profile, ignore_errors=True)
