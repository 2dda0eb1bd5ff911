"""Synthetic screenshots are deterministic per seed and distinct across seeds."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from vlmconsole.sources.synthetic_images import synthetic_screenshot


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = synthetic_screenshot(320, 200, seed=1)
    assert a == synthetic_screenshot(320, 200, seed=1)
    assert a != synthetic_screenshot(320, 200, seed=2)


def test_size_is_as_asked() -> None:
    image = Image.open(io.BytesIO(synthetic_screenshot(1280, 720, seed=7)))
    assert (image.format, image.size) == ("PNG", (1280, 720))


def test_too_small_is_refused_with_the_size() -> None:
    with pytest.raises(ValueError, match="3x3"):
        synthetic_screenshot(3, 3, seed=0)
