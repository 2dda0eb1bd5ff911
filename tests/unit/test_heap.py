"""Free heap pages go back to the operating system after a turn."""

from __future__ import annotations

import ctypes
import platform
from pathlib import Path

import pytest

from vlmconsole.sources import heap


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_blocks_pinned_under_a_live_one_go_back_when_released() -> None:
    # 2 KB blocks come from malloc (pymalloc takes only up to 512 bytes); the last
    # one stays alive so glibc cannot shrink its heap from the top by itself
    blocks = [bytes(2048) + bytes([n % 256]) for n in range(50_000)]
    last = blocks[-1]
    del blocks
    before = rss_mb()
    assert heap.release_free_heap() is True
    after = rss_mb()
    assert len(last) == 2049
    assert before - after > 50, f"RSS {before:.1f} MB -> {after:.1f} MB"


def test_a_c_library_without_malloc_trim_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # musl has no malloc_trim
    try:
        assert heap.release_free_heap() is False
    finally:
        heap._malloc_trim.cache_clear()


def test_no_c_library_at_all_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    heap._malloc_trim.cache_clear()

    def no_library(name: str | None) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    try:
        assert heap.release_free_heap() is False
    finally:
        heap._malloc_trim.cache_clear()
