"""Loading and checking screenshots: every bad file gets its own message."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image

from vlmconsole.sources import screenshots as images_module
from vlmconsole.sources.screenshots import (
    ImageError,
    images_in,
    load_image,
    preview_image,
    salted,
    synthetic_asset,
)
from vlmconsole.sources.synthetic_images import synthetic_screenshot


def save(path: Path, fmt: str, size: tuple[int, int] = (64, 48), **kw: object) -> Path:
    Image.new("RGB", size, (10, 200, 30)).save(path, format=fmt, **kw)
    return path


def test_png_jpeg_webp_are_sent_byte_for_byte(tmp_path: Path) -> None:
    for fmt, mime in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        path = save(tmp_path / f"shot.{fmt.lower()}", fmt)
        asset = load_image(path)
        assert asset.data == path.read_bytes() and asset.mime == mime and asset.note is None
        assert (asset.width, asset.height) == (64, 48)


def test_gif_first_frame_and_bmp_become_png(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    asset = load_image(gif)
    assert asset.mime == "image/png" and asset.note == "GIF first frame as PNG"
    first = Image.open(io.BytesIO(asset.data)).convert("RGB").getpixel((0, 0))
    assert first == (255, 0, 0)
    bmp = load_image(save(tmp_path / "shot.bmp", "BMP"))
    assert bmp.mime == "image/png" and bmp.note == "BMP as PNG"


def test_downscale_keeps_the_aspect(tmp_path: Path) -> None:
    asset = load_image(save(tmp_path / "big.png", "PNG", (2560, 1440)), max_side=1280)
    assert (asset.width, asset.height) == (1280, 720)
    assert asset.note == "downscaled from 2560x1440"


def test_loading_twice_gives_the_same_bytes_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "s.png"
    path.write_bytes(synthetic_screenshot(320, 200, seed=5))
    assert load_image(path) == load_image(path)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (b"hello, I am a text file\n", "not an image (the file holds text"),
        (b"\x00\x01\x02\x03" * 64, "not an image (the file holds data"),
    ],
    ids=["empty", "text", "binary"],
)
def test_files_that_are_not_images(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "shot.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=f"shot.png: {says}".replace("(", r"\(")):
        load_image(path)


def test_a_truncated_png_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(synthetic_screenshot(640, 480, seed=1)[:3000])
    with pytest.raises(ImageError, match="cut.png: corrupt or truncated"):
        load_image(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


def test_decompression_bomb_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images_module, "MAX_PIXELS", 1000)
    path = save(tmp_path / "bomb.png", "PNG", (100, 100))
    with pytest.raises(ImageError, match="megapixels, over the"):
        load_image(path)


def test_huge_file_is_refused_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images_module, "MAX_FILE_BYTES", 100)
    path = save(tmp_path / "big.png", "PNG", (200, 200))
    with pytest.raises(ImageError, match="over the"):
        load_image(path)


def test_salting_changes_one_pixel_and_the_hash(tmp_path: Path) -> None:
    asset = synthetic_asset(64, 64, seed=3)
    a, b = salted(asset, 1), salted(asset, 2)
    assert len({asset.sha256, a.sha256, b.sha256}) == 3
    assert salted(asset, 1) == a
    pixels = [Image.open(io.BytesIO(x.data)).convert("RGB") for x in (asset, a)]
    diff = [
        (x, y)
        for x in range(64)
        for y in range(64)
        if pixels[0].getpixel((x, y)) != pixels[1].getpixel((x, y))
    ]
    assert diff == [(0, 0)]


def test_images_in_a_folder_sorted_and_none_is_an_error(tmp_path: Path) -> None:
    save(tmp_path / "b.png", "PNG")
    save(tmp_path / "a.jpg", "JPEG")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in images_in(tmp_path)] == ["a.jpg", "b.png"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageError, match="no images here"):
        images_in(empty)


def test_preview_is_a_small_rgb_copy_whatever_the_screenshot() -> None:
    preview = preview_image(synthetic_asset(2880, 1800, 3))
    assert preview is not None and preview.mode == "RGB"
    assert preview.size == (230, 144), "fits 256x144, aspect kept"
    tiny = preview_image(synthetic_asset(64, 64, 3))
    assert tiny is not None and tiny.size == (64, 64), "never enlarged"


def test_no_preview_of_bytes_that_are_not_an_image() -> None:
    asset = dataclasses.replace(synthetic_asset(64, 64, 3), data=b"not an image")
    assert preview_image(asset) is None
