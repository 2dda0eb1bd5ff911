"""Writing an export file whole: to a temporary name first, then renamed into place."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class ExportError(Exception):
    """An export file cannot be written; the message names the file and the reason."""


def write_text_file(path: Path, text: str) -> Path:
    """Writes `text` (UTF-8) to `path`, creating its folder, and returns `path`.

    The text goes to a sibling temporary file that is then renamed, so a reader
    never sees half a report. Raises ExportError when the file cannot be written.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    return path
