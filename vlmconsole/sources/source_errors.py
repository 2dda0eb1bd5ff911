"""Small typed errors the sources raise; each carries one line a person can act on."""

from __future__ import annotations

from vlmconsole.model.server_info import ServerInfo


class SourceError(Exception):
    """Something outside the console went wrong; `str(error)` is one actionable line."""


class ImageError(SourceError):
    """An image that cannot be sent; the message names the file and why."""


class EndpointError(SourceError):
    """The address given for the server cannot be used."""


class ServerUnreachable(SourceError):
    """No HTTP answer: refused, unknown host, timeout, or the connection dropped."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"cannot reach {url}: {cause}")
        self.url = url
        self.cause = cause


class AuthFailed(SourceError):
    """The server answered 401 or 403."""

    def __init__(self, url: str, status: int, had_key: bool) -> None:
        if status == 401 and not had_key:
            hint = "the server wants an API key: pass --api-key or set VLLM_API_KEY"
        elif status == 401:
            hint = "the API key was refused: check --api-key / VLLM_API_KEY"
        else:
            hint = "forbidden: the API key has no access here"
        super().__init__(f"{status} from {url}: {hint}")
        self.url = url
        self.status = status


class NotFound(SourceError):
    """The path does not exist on this server (404)."""

    def __init__(self, url: str, what: str) -> None:
        super().__init__(f"404 from {url}: {what}")
        self.url = url


class BadResponse(SourceError):
    """The server answered, but not with what a vLLM server sends."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"unexpected answer from {url}: {detail}")
        self.url = url


class MetricsUnusable(SourceError):
    """The server answered and said what it is, but its /metrics could not be used.

    Carries the identity, so that the chat can go on without the metrics.
    """

    def __init__(self, info: ServerInfo, cause: SourceError) -> None:
        super().__init__(str(cause))
        self.info = info
        self.cause = cause
