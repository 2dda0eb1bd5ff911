"""Gives the C heap's free pages back to the operating system.

A chat turn builds and parses request and reply bodies of up to a few MB; glibc
keeps the pages those leave free inside its heap, so a long session's resident
memory climbs in steps that never come down (measured: ~18 KB a turn over 1,000
turns of 1280x720 screenshots). `malloc_trim(0)` returns them. It exists only in
glibc; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        c_library = ctypes.CDLL(None)  # the symbols the process already has: its libc's
    except (OSError, TypeError):  # TypeError: Windows needs a library name
        return None
    trim: Callable[[int], int] | None = getattr(c_library, "malloc_trim", None)
    return trim


def release_free_heap() -> bool:
    """Returns whether the C library could be asked to give free heap pages back.

    Costs a few milliseconds on a heap of a few hundred MB; meant for once a
    turn, not once a frame.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
