"""The HTTP routes of the simulated server: thin handlers over frontend and engine."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST

from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.engine import Engine, RequestHandle
from vlmconsole.sim.error_replies import ApiError
from vlmconsole.sim.frontend import Frontend, new_request_id
from vlmconsole.sim.protocol import ChatRequest, parse_chat
from vlmconsole.sim.responses import ChunkMaker, Usage, models_body, sse
from vlmconsole.sim.template import Prompt

GUARDED_PREFIXES = ("/v1", "/v2", "/inference", "/cohere")
_compact = functools.partial(json.dumps, separators=(",", ":"))


def _json(body: Any, status: int = 200) -> web.Response:
    """Returns a JSON response written compactly, as vLLM (pydantic) writes it."""
    return web.json_response(body, status=status, dumps=_compact)


@dataclass
class ServerState:
    """What the handlers share that can change while serving."""

    healthy: bool = True
    in_flight: int = 0


def _bearer_ok(header: str | None, key_hash: bytes) -> bool:
    if not header:
        return False
    scheme, _, token = header.partition(" ")
    digest = hashlib.sha256(token.encode()).digest()
    return scheme.lower() == "bearer" and secrets.compare_digest(digest, key_hash)


def _auth(api_key: str | None) -> Middleware:
    key_hash = hashlib.sha256(api_key.encode()).digest() if api_key else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        guarded = request.method != "OPTIONS" and request.path.startswith(GUARDED_PREFIXES)
        if key_hash is not None and guarded:
            if not _bearer_ok(request.headers.get("Authorization"), key_hash):
                return _json({"error": "Unauthorized"}, status=401)
        return await handler(request)

    return middleware


class Routes:
    """The handlers of one simulated server."""

    def __init__(
        self, config: SimConfig, engine: Engine, frontend: Frontend, state: ServerState
    ) -> None:
        self.config = config
        self.engine = engine
        self.frontend = frontend
        self.state = state
        self.started = int(time.time())
        self.permission_id = f"modelperm-{secrets.token_hex(8)}"
        self.fingerprint = (
            f"vllm-{config.version}-" + hashlib.sha256(config.model.encode()).hexdigest()[:8]
        )

    def application(self) -> web.Application:
        """Returns the aiohttp application serving every route."""
        app = web.Application(
            middlewares=[_auth(self.config.api_key)], client_max_size=256 * 1024**2
        )
        app.router.add_get("/version", self.version)
        app.router.add_get("/health", self.health)
        app.router.add_get("/load", self.load)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/v1/chat/completions", self.chat)
        return app

    async def version(self, _request: web.Request) -> web.Response:
        """GET /version."""
        return _json({"version": self.config.version})

    async def health(self, _request: web.Request) -> web.Response:
        """GET /health: 200 with an empty body; 503 when told to be unhealthy or the engine died."""
        return web.Response(status=200 if self.state.healthy and self.engine.alive else 503)

    async def load(self, _request: web.Request) -> web.Response:
        """GET /load: the chat requests in flight."""
        return _json({"server_load": self.state.in_flight})

    async def metrics(self, _request: web.Request) -> web.Response:
        """GET /metrics in Prometheus text format."""
        self.engine.refresh_gauges()
        page = self.engine.metrics.render()
        return web.Response(body=page, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def models(self, _request: web.Request) -> web.Response:
        """GET /v1/models."""
        config = self.config
        body = models_body(
            config.model, config.model_root, config.max_model_len, self.started, self.permission_id
        )
        return _json(body)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """POST /v1/chat/completions, streamed or not."""
        self.state.in_flight += 1
        try:
            return await self._chat(request)
        finally:
            self.state.in_flight -= 1

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            try:
                chat = parse_chat(await request.json())
            except ValueError as error:
                raise ApiError(f"the body is not valid JSON: {error}") from error
            request_id = new_request_id()
            handle, prompt = await self.frontend.submit_chat(chat, request_id)
        except ApiError as error:
            return _json(error.body(), status=error.status)
        maker = ChunkMaker(request_id, int(time.time()), chat.model, self.fingerprint)
        finished = False
        try:
            if chat.stream:
                response = await self._stream(request, chat, handle, prompt, maker)
            else:
                response = await self._complete(handle, prompt, maker)
            finished = True
            return response
        finally:
            if not finished:
                handle.abort()

    async def _complete(
        self, handle: RequestHandle, prompt: Prompt, maker: ChunkMaker
    ) -> web.Response:
        texts: list[str] = []
        finish: str | None = None
        async for out in handle.tokens():
            texts.append(out.text)
            finish = out.finish_reason
        usage = Usage(prompt, len(texts), handle.cached_tokens, handle.created_cache_tokens)
        return _json(maker.completion("".join(texts), finish, usage))

    async def _stream(
        self,
        request: web.Request,
        chat: ChatRequest,
        handle: RequestHandle,
        prompt: Prompt,
        maker: ChunkMaker,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await response.prepare(request)
        count = 0
        try:
            async for out in handle.tokens():
                if count == 0:
                    await response.write(sse(maker.role()))
                count += 1
                running = None
                if chat.continuous_usage:
                    running = Usage(
                        prompt, count, handle.cached_tokens, handle.created_cache_tokens
                    )
                await response.write(sse(maker.content(out.text, out.finish_reason, running)))
            if chat.include_usage:
                usage = Usage(prompt, count, handle.cached_tokens, handle.created_cache_tokens)
                await response.write(sse(maker.usage(usage)))
            await response.write(sse("[DONE]"))
            await response.write_eof()
        except ConnectionResetError:
            handle.abort()  # the client went away: free its blocks, count an abort
        return response
