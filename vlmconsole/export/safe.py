"""Outside text made safe to write: no control characters, no secrets in metadata.

Records and metadata come from servers, images and callers; exporters treat
all of it as data. Metadata keys that look like credentials are dropped here so
that no exporter can write an API key, whatever a caller passes.
"""

from __future__ import annotations

from collections.abc import Mapping

from vlmconsole.model.outside_text import clean

_SECRET_WORDS = ("key", "token", "secret")

strip_control = clean
"""The one filter for outside text (`vlmconsole.model.outside_text.clean`)."""


def excerpt(text: str, limit: int) -> str:
    """Returns the first `limit` characters of `text` on one line, with `…` when cut."""
    flat = " ".join(strip_control(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_secret_name(name: str) -> bool:
    """Returns True for a metadata key that may name a credential (key, token, secret)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def safe_meta(meta: Mapping[str, str]) -> dict[str, str]:
    """Returns `meta` without keys that may hold credentials, in the caller's order."""
    return {name: value for name, value in meta.items() if not is_secret_name(name)}
