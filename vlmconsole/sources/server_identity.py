"""A vLLM server's identity: /version, /health, /v1/models and /load."""

from __future__ import annotations

import asyncio
from typing import Any

from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http_get import HttpGet, HttpxGet, Response, check_auth
from vlmconsole.sources.source_errors import BadResponse, NotFound


class ServerSource:
    """Reads what a vLLM server is. One instance per server; close it when done."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: ApiKey | None,
        timeout_s: float,
        keep_alive: bool = True,
        http: HttpGet | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._had_key = api_key is not None
        self._http = http or HttpxGet(endpoint, api_key, timeout_s, keep_alive)

    async def aclose(self) -> None:
        """Closes the HTTP connections."""
        await self._http.aclose()

    async def _get(self, path: str) -> Response:
        response = await self._http.get(path)
        check_auth(response, self._had_key)
        return response

    @staticmethod
    def _json(response: Response) -> Any:
        try:
            return response.json()
        except ValueError:
            snippet = response.text[:60].replace("\n", " ")
            raise BadResponse(str(response.url), f"not JSON: {snippet!r}") from None

    async def version(self) -> str | None:
        """Returns the vLLM version, or None when /version is not served."""
        response = await self._get("/version")
        if response.status_code == 404:
            return None
        body = self._json(response)
        version = body.get("version") if isinstance(body, dict) else None
        return str(version) if version is not None else None

    async def health(self) -> tuple[bool, str]:
        """Returns (healthy, detail) from /health: 200 is healthy, 503 is not."""
        response = await self._get("/health")
        if response.status_code == 200:
            return True, "ok"
        if response.status_code == 503:
            return False, "503: the engine is not ready, asleep or dead"
        if response.status_code == 404:
            return False, "404: no /health here (is this vLLM?)"
        return False, f"{response.status_code} from /health"

    async def models(self) -> tuple[ModelCard, ...]:
        """Returns the served models from /v1/models."""
        response = await self._get("/v1/models")
        if response.status_code == 404:
            raise NotFound(str(response.url), "no /v1/models: not an OpenAI-compatible server")
        body = self._json(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise BadResponse(str(response.url), "/v1/models has no `data` list")
        cards = []
        for item in data:
            if not isinstance(item, dict) or "id" not in item:
                continue
            max_len = item.get("max_model_len")
            cards.append(
                ModelCard(
                    id=str(item["id"]),
                    root=str(item["root"]) if item.get("root") is not None else None,
                    max_model_len=int(max_len) if isinstance(max_len, int | float) else None,
                )
            )
        return tuple(cards)

    async def load(self) -> int | None:
        """Returns /load's server_load, or None when the server does not serve it."""
        response = await self._get("/load")
        if response.status_code != 200:
            return None
        body = self._json(response)
        value = body.get("server_load") if isinstance(body, dict) else None
        return int(value) if isinstance(value, int | float) else None

    async def info(self) -> ServerInfo:
        """Returns the server's identity and health, read concurrently."""
        version, (healthy, detail), models, load = await asyncio.gather(
            self.version(), self.health(), self.models(), self.load()
        )
        return ServerInfo(
            url=self.endpoint.base_url,
            version=version,
            healthy=healthy,
            health_detail=detail,
            models=models,
            load=load,
        )
