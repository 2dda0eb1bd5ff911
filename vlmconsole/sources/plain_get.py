"""GETs with the standard library's http.client, for the first scrape at start-up.

It runs in the first-scrape thread, on that thread's own event loop, so its blocking
calls hold up nothing else; one keep-alive connection serves the few requests of one
observation. It knows only plain http and the happy path: any transport failure is a
ServerUnreachable, and the console's first regular scrape (httpx, with the one-line
messages of sources/http.py) takes over.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.source_errors import ServerUnreachable


@dataclass(frozen=True, slots=True)
class PlainResponse:
    """A whole response: its status, URL and decoded body."""

    status_code: int
    url: str
    text: str

    def json(self) -> Any:
        """Returns the body as JSON; raises ValueError when it is not."""
        return json.loads(self.text)


class PlainGet:
    """GETs paths of one plain-http server over one keep-alive connection."""

    def __init__(self, endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float) -> None:
        parts = urlsplit(endpoint.base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"{endpoint.base_url}: only plain http is read this way")
        self.base_url = endpoint.base_url
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key.reveal()}"} if api_key else {}
        self._connection = http.client.HTTPConnection(
            parts.hostname, parts.port or 80, timeout=timeout_s
        )

    async def get(self, path: str, params: dict[str, str] | None = None) -> PlainResponse:
        """Returns the response to GET `path`; raises ServerUnreachable."""
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        try:
            self._connection.request("GET", target, headers=self._headers)
            response = self._connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            raise ServerUnreachable(self.base_url, str(error) or type(error).__name__) from None
        charset = response.headers.get_content_charset() or "utf-8"
        return PlainResponse(response.status, self.base_url + path, body.decode(charset, "replace"))

    async def aclose(self) -> None:
        """Closes the connection."""
        self._connection.close()
