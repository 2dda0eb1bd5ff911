"""GET requests to one server, behind one small interface: httpx for the console's
ticks, or the standard library's http.client for the first scrape at start-up.

`ServerSource` and `MetricsSource` read responses through `HttpGet` and do not care
which client made them. `HttpxGet` builds its httpx client on its first request, so
that making a source imports no HTTP stack; `PlainGet` (sources/plain_get.py) needs
none at all: http.client is already loaded with prometheus-client, and httpx costs
~80 ms of start-up (bench_console.py's import section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.source_errors import AuthFailed

if TYPE_CHECKING:
    import httpx


class Response(Protocol):
    """What the sources read of a response."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def url(self) -> object: ...

    def json(self) -> Any: ...


class HttpGet(Protocol):
    """GETs paths of one server; transport failures raise ServerUnreachable."""

    async def get(self, path: str, params: dict[str, str] | None = None) -> Response: ...

    async def aclose(self) -> None: ...


def check_auth(response: Response, had_key: bool) -> None:
    """Raises AuthFailed when the server answered 401 or 403."""
    if response.status_code in (401, 403):
        raise AuthFailed(str(response.url), response.status_code, had_key)


class HttpxGet:
    """GETs with an httpx client made on the first request (see the module)."""

    def __init__(
        self, endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float, keep_alive: bool = True
    ) -> None:
        self.endpoint = endpoint
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.keep_alive = keep_alive
        self._client: httpx.AsyncClient | None = None

    async def get(self, path: str, params: dict[str, str] | None = None) -> Response:
        """Returns the response to GET `path`; raises ServerUnreachable."""
        from vlmconsole.sources.http import http_errors, make_client

        if self._client is None:
            self._client = make_client(self.endpoint, self.api_key, self.timeout_s, self.keep_alive)
        with http_errors(self.endpoint.base_url, self.timeout_s):
            return await self._client.get(path, params=params)

    async def aclose(self) -> None:
        """Closes the connections, if any were made."""
        if self._client is not None:
            await self._client.aclose()
