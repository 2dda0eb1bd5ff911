"""vlmconsole: a terminal operations console for a live vLLM server."""

from __future__ import annotations

__version__ = "0.1.0"
