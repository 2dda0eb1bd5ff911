"""What a vLLM server is: version, models, health, load."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModelCard:
    """One served model as /v1/models lists it."""

    id: str
    root: str | None
    max_model_len: int | None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """The identity and health of a vLLM server at one moment."""

    url: str
    version: str | None
    """From /version; None when the server does not answer it."""
    healthy: bool
    health_detail: str
    """"ok", or why not (such as "503: engine not ready or dead")."""
    models: tuple[ModelCard, ...]
    load: int | None
    """In-flight requests from /load; None when not served (needs --enable-server-load-tracking)."""

    @property
    def max_model_len(self) -> int | None:
        """Returns the first model's context length, or None when not reported."""
        return self.models[0].max_model_len if self.models else None
