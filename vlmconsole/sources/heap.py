"""Gives the C heap's free pages back to the operating system.

A chat turn builds and parses request and reply bodies of up to a few MB; glibc
keeps the pages those leave free inside its heap, so a long session's resident
memory climbs in steps that never come down (measured: ~18 KB a turn over 1,000
turns of 1280x720 screenshots). `malloc_trim(0)` returns them. It exists only in
glibc; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

GLIBC_NAME = "libc.so.6"


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c") or GLIBC_NAME
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
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
