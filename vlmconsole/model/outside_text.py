"""The one filter for text from outside: what a server, a file or a person sent us.

Versions, model ids, metric labels, headers, container names, log lines, image file
names and replies pass through `clean` before anything renders them (terminal text,
the console's widgets, JSON, CSV, HTML). It removes whole terminal escape sequences
(CSI, OSC, DCS and the rest, in their 7-bit and 8-bit forms, so no `[31m` residue is
left behind), every other C0 and C1 control character but tab and newline, and the
Unicode bidirectional overrides that can make text read differently than it is.
Markup (`[bold]`) is not touched here: renderers show it literally (rich `Text`,
`markup=False`, HTML escaping).
"""

from __future__ import annotations

import math
import re
from typing import Any

_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?          # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]) [^\x07\x1b\x9c]*          # OSC, DCS, SOS, PM, APC
      (?:\x07|\x1b\\|\x9c)?                                             # ... up to BEL or ST
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                                    # any other ESC sequence
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline, DEL, and the C1 controls."""
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
"""Bidirectional embeddings, overrides, isolates and marks."""


def clean(text: object) -> str:
    """Returns `text` (made a string) with no escape sequence, control or bidi character.

    Tab and newline stay (replies and log lines have them); `\\r` goes, so no line can
    be overwritten on a terminal.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():  # the common case: nothing to remove
        return value
    return _BIDI.sub("", _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", value)))


def one_line(text: object) -> str:
    """Returns `clean(text)` on one line: runs of whitespace, newlines among them, as one space."""
    return " ".join(clean(text).split())


def error_line(error: object) -> str:
    """Returns the one line a command prints for a failure: `vlmconsole: ...`, made safe.

    Errors carry outside text (a server's message, a container's name, a path), so the
    line goes through the one filter and stays on one line.
    """
    return f"vlmconsole: {one_line(error)}"


def json_ready(value: Any) -> Any:
    """Returns `value` for JSON output: strings cleaned (outside text), NaN and infinities
    as None, sets sorted, mappings and sequences cleaned throughout."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [json_ready(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    return value
