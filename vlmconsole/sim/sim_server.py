"""The simulated vLLM server: start it on loopback, stop it, or run it in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading
from collections.abc import Iterator

from aiohttp import web

from vlmconsole.sim.background import background_load
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.engine import Engine
from vlmconsole.sim.frontend import Frontend
from vlmconsole.sim.metric_recorder import SimMetrics
from vlmconsole.sim.routes import Routes, ServerState

START_TIMEOUT_S = 30.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SimServer:
    """A vLLM 0.32-compatible server for a vision-language model, simulated in-process."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.metrics = SimMetrics(config)
        self.engine = Engine(config, self.metrics)
        self.frontend = Frontend(config, self.engine)
        self._state = ServerState()
        self._runner: web.AppRunner | None = None
        self._background: asyncio.Task[None] | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Starts serving on a loopback `host` and `port` (0 picks a free one).

        Raises ValueError for a host that is not loopback.
        """
        if not _is_loopback(host):
            raise ValueError(f"the simulator listens on loopback only, not on {host!r}")
        if self._runner is not None:
            raise RuntimeError("the simulator is already serving")
        await self.engine.start()
        routes = Routes(self.config, self.engine, self.frontend, self._state)
        runner = web.AppRunner(routes.application(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1" if host == "localhost" else host, port)
        await site.start()
        self._runner = runner
        self._host = "127.0.0.1" if host == "localhost" else host
        self._port = int(runner.addresses[0][1])
        if self.config.background_load:
            loop = asyncio.get_running_loop()
            self._background = loop.create_task(background_load(self.frontend), name="sim-load")

    @property
    def base_url(self) -> str:
        """Returns the server's root URL, such as http://127.0.0.1:PORT."""
        if self._port is None:
            raise RuntimeError("the simulator is not serving: start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def stop(self) -> None:
        """Stops serving, the background load and the engine."""
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
            self._background = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.engine.stop()
        await self.frontend.close()

    def set_healthy(self, healthy: bool) -> None:
        """Makes /health answer 200 (healthy) or 503."""
        self._state.healthy = healthy


@contextlib.contextmanager
def run_in_thread(config: SimConfig, port: int = 0) -> Iterator[SimServer]:
    """Runs a SimServer on 127.0.0.1 in a background thread with its own event loop.

    Yields the started server; stops it and the thread on exit. For synchronous
    callers (tests with blocking clients, scripts).
    """
    server = SimServer(config)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(port=port))
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)
            started.set()
            loop.close()
            return
        started.set()
        loop.run_forever()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=main, name="vlmconsole-sim", daemon=True)
    thread.start()
    if not started.wait(START_TIMEOUT_S):
        raise RuntimeError("the simulator did not start")
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        stopping = asyncio.run_coroutine_threadsafe(server.stop(), loop)
        with contextlib.suppress(Exception):
            stopping.result(START_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_S)
