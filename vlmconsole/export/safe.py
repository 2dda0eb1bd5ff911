"""Outside text made safe to write: no control characters, no secrets in metadata.

Records and metadata come from servers, images and callers; exporters treat
all of it as data. Metadata keys that look like credentials are dropped here so
that no exporter can write an API key, whatever a caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# C0 controls except tab and newline, DEL, and C1 controls (which include CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SECRET_WORDS = ("key", "token", "secret")


def strip_control(text: str) -> str:
    """Returns `text` without control characters (tab and newline are kept)."""
    return _CONTROL.sub("", text)


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
