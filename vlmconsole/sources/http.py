"""The one place HTTP errors become typed, one-line SourceErrors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.source_errors import ServerUnreachable


def make_client(
    endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float, keep_alive: bool = True
) -> httpx.AsyncClient:
    """Returns an async HTTP client for the server, sending the API key as a bearer token.

    `keep_alive=False`: a new connection for every request (a liveness probe must find
    out whether the server still accepts connections, not reuse one it left open).
    """
    headers = {"Authorization": f"Bearer {api_key.reveal()}"} if api_key else {}
    return httpx.AsyncClient(
        limits=httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0),
        base_url=endpoint.base_url,
        headers=headers,
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        # plain http needs no TLS context (building one reads the CA bundle: ~0.1 s)
        verify=endpoint.base_url.startswith("https://"),
    )


def transport_cause(error: httpx.TransportError, timeout_s: float | None) -> str:
    """Returns one line naming what went wrong with a connection (never empty)."""
    text = str(error).strip() or type(error).__name__
    lowered = text.lower()
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s" if timeout_s else "timed out"
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or ("temporary failure in name resolution" in lowered)
    ):
        return "unknown host (DNS lookup failed)"
    if isinstance(error, httpx.ConnectError) and (
        "refused" in lowered or "all connection attempts failed" in lowered
    ):
        return "connection refused: is vLLM running, and on this port?"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the connection broke: {text}"
    return text


@contextmanager
def http_errors(url: str, timeout_s: float | None = None) -> Iterator[None]:
    """Turns httpx transport errors inside the block into ServerUnreachable."""
    try:
        yield
    except httpx.TransportError as error:
        raise ServerUnreachable(url, transport_cause(error, timeout_s)) from error
