"""The console behind a web page: textual-serve, with vlmconsole's page and words.

textual-serve runs one console process per browser tab and carries its screen over a
websocket. This subclass serves vlmconsole's copy of the page (no font fetched from
outside), prints one line naming what it serves (the command without secrets), and
logs only warnings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import psutil
from aiohttp import web
from textual_serve.server import Server


class ServedConsole(Server):
    """A textual-serve server for one vlmconsole command."""

    def __init__(
        self,
        command: str,
        shown: str,
        host: str,
        port: int,
        public_url: str | None,
        templates: Path,
    ) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title="vlmconsole",
            public_url=public_url,
            templates_path=str(templates),
        )
        self.shown = shown

    def initialize_logging(self) -> None:
        """Logs warnings and errors only (textual-serve logs every websocket message)."""
        logging.basicConfig(level=logging.WARNING, format="vlmconsole serve: %(message)s")

    def serve(self, debug: bool = False) -> None:
        """Serves until SIGINT or SIGTERM, then closes every console cleanly."""
        self.debug = debug
        self.initialize_logging()
        web.run_app(
            self._make_app(), host=self.host, port=self.port, handle_signals=True, print=None
        )

    async def on_shutdown(self, app: web.Application) -> None:
        """Ends each tab's console before the loop closes (SIGTERM or Ctrl+C): left
        running, their pipes were closed after the loop and printed a traceback."""
        consoles = psutil.Process().children()
        for console in consoles:
            with contextlib.suppress(psutil.Error):
                console.terminate()
        _gone, alive = await asyncio.to_thread(psutil.wait_procs, consoles, timeout=5)
        for console in alive:
            with contextlib.suppress(psutil.Error):
                console.kill()
        for _ in range(50):  # until each tab's service has seen its console end
            if not any(not task.done() for task in self._services()):
                break
            await asyncio.sleep(0.05)

    def _services(self) -> list[asyncio.Task[object]]:
        return [
            task
            for task in asyncio.all_tasks()
            if task is not asyncio.current_task() and "websocket" in repr(task.get_coro())
        ]

    async def on_startup(self, app: web.Application) -> None:
        """Says what is served where."""
        print(f"serving `{self.shown}` on {self.public_url} (Ctrl+C stops it)", flush=True)
