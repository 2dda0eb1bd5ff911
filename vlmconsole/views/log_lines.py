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
