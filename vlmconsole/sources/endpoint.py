"""Where the vLLM server is: `HOST:PORT`, `:PORT`, or a URL with or without `/v1`."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from vlmconsole.sources.source_errors import EndpointError

_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]*)(?::(?P<port>[^/]*))?$")


_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252}[A-Za-z0-9_])?")
"""A DNS name, or a container name on a Docker network (underscores allowed)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A vLLM server's root URL, such as `http://127.0.0.1:8000` (no `/v1`, no slash)."""

    base_url: str

    @property
    def api_url(self) -> str:
        """Returns the OpenAI-compatible API root, `<base>/v1`."""
        return f"{self.base_url}/v1"

    def __str__(self) -> str:
        return self.base_url


def _port(text: str, given: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise EndpointError(f"{given!r}: the port must be a number from 1 to 65535, not {text!r}")
    return int(text)


_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
"""Whitespace and control characters: no HTTP client sends them in a URL."""


def _checked(url: str, given: str) -> Endpoint:
    """Returns the endpoint at `url` once it is a URL any HTTP client can send to.

    Checked without httpx (importing it costs start-up ~80 ms; the first scrape uses
    http.client): a character no URL may hold, a port that is not one, a host that
    is neither a name nor an address are refused; test_endpoint.py holds what
    httpx.URL refused before.
    """
    unsafe = _UNSAFE.search(url)
    if unsafe:
        raise EndpointError(
            f"{given!r} is not a usable address: {unsafe.group()!r} cannot be in a URL"
        )
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is asked for
    except ValueError as error:
        raise EndpointError(f"{given!r} is not a usable address: {error}") from None
    host = parts.hostname or ""
    try:
        if ":" in host:
            ipaddress.IPv6Address(host)
        elif all(part.isdigit() for part in host.split(".")):
            ipaddress.IPv4Address(host)
        elif not _HOST_NAME.fullmatch(host):
            raise ValueError(host)
    except ValueError:
        raise EndpointError(f"{given!r}: {host!r} is not a host name or IP address") from None
    return Endpoint(url)


def looks_like_address(text: str) -> bool:
    """Returns True for `HOST:PORT`, `:PORT`, a URL or a port; False for a container name."""
    return any(ch in text for ch in ":/") or text.strip().isdigit()


def parse_endpoint(text: str) -> Endpoint:
    """Returns the endpoint that `text` names, or raises EndpointError saying why not.

    `localhost:8000`, `:8000` (127.0.0.1), `8000`, `http://host:8000`,
    `https://host/prefix/v1` are all accepted; a trailing `/v1` or `/` is dropped.
    """
    given = text
    text = text.strip()
    if not text:
        raise EndpointError("no server given: pass HOST:PORT, :PORT or a URL")
    if text.isdigit():
        text = f":{text}"
    if "://" in text:
        try:
            parts = urlsplit(text)
            hostname = parts.hostname
        except ValueError as error:  # such as `http://[zz]:80`: Invalid IPv6 URL
            raise EndpointError(f"{given!r} is not a usable address: {error}") from None
        if parts.scheme not in ("http", "https"):
            raise EndpointError(f"{given!r}: only http:// and https:// URLs are supported")
        if not hostname:
            raise EndpointError(f"{given!r}: the URL has no host")
        try:
            port = parts.port
        except ValueError:
            raise EndpointError(f"{given!r}: the port must be a number from 1 to 65535") from None
        path = parts.path.rstrip("/")
        if path.endswith("/v1"):
            path = path[: -len("/v1")]
        host = f"[{hostname}]" if ":" in hostname else hostname
        netloc = host if port is None else f"{host}:{port}"
        return _checked(f"{parts.scheme}://{netloc}{path}", given)
    text = text.rstrip("/")
    if text.endswith("/v1"):
        text = text[: -len("/v1")]
    match = _HOST_PORT.match(text)
    if match is None:
        raise EndpointError(f"{given!r} is not HOST:PORT, :PORT or a URL")
    host = match.group("host") or "127.0.0.1"
    port_text = match.group("port")
    if port_text is None:
        raise EndpointError(f"{given!r}: give the port too, as in {host}:8000")
    return _checked(f"http://{host}:{_port(port_text, given)}", given)
