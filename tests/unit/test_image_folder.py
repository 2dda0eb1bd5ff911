"""Stepping through a screenshot folder and noticing new files."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmconsole.sources.image_folder import ImageFolder
from vlmconsole.sources.source_errors import ImageError


def test_next_image_in_name_order_then_none(tmp_path: Path) -> None:
    for name in ("b.png", "a.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    folder = ImageFolder(tmp_path)
    assert [folder.next_image(), folder.next_image(), folder.next_image()] == [
        tmp_path / "a.png",
        tmp_path / "b.png",
        None,
    ]


def test_new_files_are_reported_once_their_size_settles(tmp_path: Path) -> None:
    (tmp_path / "old.png").write_bytes(b"x")
    folder = ImageFolder(tmp_path)
    assert folder.new_images() == []
    (tmp_path / "new.png").write_bytes(b"partial")
    assert folder.new_images() == [], "seen once: maybe still being written"
    assert folder.new_images() == [tmp_path / "new.png"]
    assert folder.new_images() == []


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a folder"):
        ImageFolder(tmp_path / "missing")
