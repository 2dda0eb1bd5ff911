"""A TCP proxy on 127.0.0.1 that can cut or stall a server's answer part way.

Put in front of the real vLLM server, it turns a live streamed reply into a
server that dies mid-answer (`cut_after_bytes`) or one that stops sending
(`stall_after_bytes`), without touching the server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class FaultProxy:
    """Forwards 127.0.0.1:port to the target; faults apply to answers larger than a limit."""

    target_port: int
    cut_after_bytes: int | None = None
    stall_after_bytes: int | None = None
    port: int = 0
    hold_when_server_drops: bool = False
    """When set, a connection whose server side ends is kept open towards the client,
    silent: what a client sees behind a proxy (or a surviving process that holds the
    socket) when the server behind it is killed."""
    only_requests_starting: bytes | None = None
    """When set, faults apply only to connections whose request starts so (such as
    `b"POST /v1/chat"`): the console's scrapes pass untouched."""
    _server: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        """Starts listening on a free loopback port."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stops listening and drops every connection."""
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def stop_listening(self) -> None:
        """Refuses new connections but keeps the open ones, as a killed vLLM can: its
        engine process holds the sockets, so a stream in flight hangs, never closes."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:  # the server is gone: so is this connection
            client_w.close()
            return
        faulty = True
        if self.only_requests_starting is not None:
            head = await client_r.read(4096)
            faulty = head.startswith(self.only_requests_starting)
            server_w.write(head)
            await server_w.drain()
        up = asyncio.ensure_future(self._pipe(client_r, server_w, limit=False))
        down = asyncio.ensure_future(self._pipe(server_r, client_w, limit=faulty))
        self._tasks |= {up, down}
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if self.hold_when_server_drops and down.done():
            holder = asyncio.current_task()
            if holder is not None:
                self._tasks.add(holder)
            await asyncio.sleep(3600)  # the client waits on a connection nobody serves
        for task in (up, down):
            task.cancel()
            self._tasks.discard(task)
        for writer in (client_w, server_w):
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: bool
    ) -> None:
        sent = 0
        while True:
            data = await reader.read(4096)
            if not data:
                return
            if (
                limit
                and self.cut_after_bytes is not None
                and sent + len(data) > self.cut_after_bytes
            ):
                writer.write(data[: max(0, self.cut_after_bytes - sent)])
                await writer.drain()
                writer.transport.abort()  # the server "dies": the connection drops
                return
            if limit and self.stall_after_bytes is not None:
                if sent + len(data) > self.stall_after_bytes:
                    writer.write(data[: max(0, self.stall_after_bytes - sent)])
                    await writer.drain()
                    await asyncio.sleep(3600)  # the server stops sending
            writer.write(data)
            await writer.drain()
            sent += len(data)
