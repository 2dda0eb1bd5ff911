"""What a vLLM log line is about: errors, warnings, preemption, the KV cache."""

from __future__ import annotations

import re

_KINDS = (
    ("error", re.compile(r"\b(ERROR|CRITICAL|Traceback|Exception|Error:)", re.IGNORECASE)),
    ("preempt", re.compile(r"preempt", re.IGNORECASE)),
    ("kv", re.compile(r"KV cache|kv_cache|prefix cache|GPU blocks|CPU blocks", re.IGNORECASE)),
    ("warning", re.compile(r"\bWARN(ING)?\b")),
)


def log_kind(line: str) -> str | None:
    """Returns "error", "preempt", "kv" or "warning" for lines worth a colour, else None."""
    for kind, pattern in _KINDS:
        if pattern.search(line):
            return kind
    return None


def matches(line: str, needle: str) -> bool:
    """Returns True when the line holds `needle` (case-insensitive); an empty filter matches."""
    return not needle or needle.lower() in line.lower()


_POLLING = re.compile(r'"(GET|HEAD) /(metrics|health|load|version|v1/models)\b[^"]*" ')
"""An access-log line of a poll: the console's own scrapes (and Prometheus's), every second."""


def is_polling(line: str) -> bool:
    """Returns True for an access-log line of a poll (GET /metrics, /health, /load,
    /version or /v1/models): the console makes several a second, which would bury the
    lines that matter. Chat requests and everything else are not polls."""
    return _POLLING.search(line) is not None
