"""A tiny aiohttp server on 127.0.0.1 whose routes the test sets, for source tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeHttp:
    """Serves the handlers it is given; `port` stays the same across stop() and start()."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.requests: list[tuple[str, dict[str, str]]] = []

    @property
    def base_url(self) -> str:
        """Returns http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="Not Found")
        return await handler(request)

    async def start(self) -> None:
        """Starts serving (on the same port as before after a stop)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            server = site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stops serving; connections are refused until start()."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def text(body: str, status: int = 200, content_type: str = "text/plain") -> Handler:
    """Returns a handler answering `body` with `status`."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=body, content_type=content_type)

    return handler


def json_body(data: object, status: int = 200) -> Handler:
    """Returns a handler answering `data` as JSON."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.json_response(data, status=status)

    return handler


def never_answers() -> Handler:
    """Returns a handler that holds the request open for a minute."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(60)
        return web.Response(text="late")

    return handler
