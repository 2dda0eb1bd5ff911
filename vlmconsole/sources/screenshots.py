"""Screenshots from disk (or made up), checked and encoded once.

Each image is read, checked and, when needed, converted exactly once; the
bytes sent on every later turn are the same bytes, so the server's multimodal
and prefix caches can hit. PNG, JPEG and WebP files are sent as they are on
disk; a GIF's first frame and BMPs become PNG; `max_side` downscales.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from vlmconsole.model.screenshot_formats import IMAGE_SUFFIXES, PREVIEW_SIZE
from vlmconsole.model.turn_record import ImageInfo
from vlmconsole.sources.source_errors import ImageError as ImageError  # raised here
from vlmconsole.sources.synthetic_images import synthetic_screenshot

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 64_000_000
"""Decompression-bomb guard: larger images are refused before they are decoded."""
_SENT_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class ImageAsset:
    """An image ready to send: the exact bytes, encoded once, with what they are."""

    label: str
    """Its path, or `synthetic:WxH#seed`."""
    data: bytes = field(repr=False)
    mime: str
    sha256: str
    width: int
    height: int
    path: Path | None = None
    note: str | None = None
    """What was done to it, such as "GIF first frame as PNG"."""
    pixels_sha256: str | None = None
    """The sha256 of its RGB pixels (what vLLM's caches key on)."""
    look: str | None = None
    """Its difference hash: near-identical pictures differ in a few of its 64 bits."""

    @property
    def suffix(self) -> str:
        """Returns the file suffix matching its bytes, such as `.png`."""
        return {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}[self.mime]

    def info(self, tokens: int | None = None) -> ImageInfo:
        """Returns how records name this image (no bytes)."""
        return ImageInfo(
            self.label,
            self.sha256,
            self.width,
            self.height,
            len(self.data),
            tokens,
            pixels_sha256=self.pixels_sha256,
            look=self.look,
        )


LOOK_SIDE = 8
"""The difference hash compares 8x8 neighbouring pairs of a grey thumbnail: 64 bits."""


def pixels_digest(image: Image.Image) -> str:
    """Returns the sha256 of the image's RGB pixels: what vLLM's multimodal hasher keys its
    caches on (the mode and the pixel data), so two files with the same digest hit the
    same cache entry whatever their bytes."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return hashlib.sha256(rgb.tobytes()).hexdigest()


def look_hash(image: Image.Image) -> str:
    """Returns the image's difference hash (64 bits, hex): near-identical pictures (a clock
    that moved, a JPEG re-save) differ in a few bits, different screens in many."""
    grey = image.convert("L").resize((LOOK_SIDE + 1, LOOK_SIDE), Image.Resampling.BILINEAR)
    values = list(grey.tobytes())  # one byte a pixel in mode L
    bits = 0
    for row in range(LOOK_SIDE):
        for col in range(LOOK_SIDE):
            left = values[row * (LOOK_SIDE + 1) + col]
            bits = (bits << 1) | (left > values[row * (LOOK_SIDE + 1) + col + 1])
    return f"{bits:016x}"


def _asset(label: str, data: bytes, mime: str, image: Image.Image, **kw: object) -> ImageAsset:
    digest = hashlib.sha256(data).hexdigest()
    width, height = image.size
    return ImageAsset(
        label,
        data,
        mime,
        digest,
        width,
        height,
        pixels_sha256=pixels_digest(image),
        look=look_hash(image),
        **kw,  # type: ignore[arg-type]
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def load_image(path: Path, max_side: int | None = None) -> ImageAsset:
    """Returns the checked image at `path`, encoded for sending; raises ImageError."""
    label = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageError(f"{label}: no such file") from None
    except OSError as error:
        raise ImageError(f"{label}: cannot read it ({error.strerror})") from None
    if path.is_dir():
        raise ImageError(f"{label}: is a folder, not an image")
    if size == 0:
        raise ImageError(f"{label}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise ImageError(
            f"{label}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImageError(f"{label}: cannot read it ({error.strerror})") from None
    return decode_image(raw, label, max_side, path)


def decode_image(
    raw: bytes, label: str, max_side: int | None = None, path: Path | None = None
) -> ImageAsset:
    """Returns checked image bytes encoded for sending; raises ImageError saying what is wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{label}: {width}x{height} is {width * height / 1e6:.0f} megapixels, over the "
                    f"{MAX_PIXELS / 1e6:.0f} MP limit (a decompression-bomb guard)"
                )
            fmt = str(image.format or "?")
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except UnidentifiedImageError:
        printable = all(32 <= b < 127 or b in (9, 10, 13) for b in raw[:256])
        kind = "text" if printable else "data"
        raise ImageError(
            f"{label}: not an image (the file holds {kind} pillow cannot read)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{label}: refused as a decompression bomb ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{label}: corrupt or truncated image ({error})") from None
    note: str | None = None
    if fmt not in (*_SENT_AS_IS, "GIF", "BMP"):
        raise ImageError(f"{label}: {fmt} images are not supported (PNG, JPEG, WebP, GIF, BMP)")
    if fmt == "GIF":
        image.seek(0)
        image = image.convert("RGB")
        note = "GIF first frame as PNG"
    if max_side and max(width, height) > max_side:
        scale = max_side / max(width, height)
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))))
        note = f"downscaled from {width}x{height}"
        out_fmt = "JPEG" if fmt == "JPEG" else "PNG"
        data = _encode(image, out_fmt)
        mime = _SENT_AS_IS[out_fmt]
    elif fmt in _SENT_AS_IS and note is None:
        data, mime = raw, _SENT_AS_IS[fmt]
    else:
        data, mime = _encode(image, "PNG"), "image/png"
        note = note or f"{fmt} as PNG"
    return _asset(label, data, mime, image, path=path, note=note)


def salted(asset: ImageAsset, salt: int) -> ImageAsset:
    """Returns the image with one pixel's lowest bit changed by `salt`, as PNG.

    vLLM hashes decoded pixels, so only a pixel change makes an image new to its
    caches; one bit of one pixel is invisible and enough.
    """
    image = Image.open(io.BytesIO(asset.data)).convert("RGB")
    r, g, b = image.getpixel((0, 0))  # type: ignore[misc]
    image.putpixel((0, 0), (r ^ (salt & 1), g ^ ((salt >> 1) & 0xFF), b ^ ((salt >> 9) & 0xFF)))
    return _asset(
        asset.label,
        _encode(image, "PNG"),
        "image/png",
        image,
        path=asset.path,
        note=f"salted {salt} for a cold cache",
    )


def synthetic_asset(width: int, height: int, seed: int) -> ImageAsset:
    """Returns a synthetic screenshot as an asset."""
    data = synthetic_screenshot(width, height, seed)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return _asset(f"synthetic:{width}x{height}#{seed}", data, "image/png", image)


def preview_image(asset: ImageAsset, size: tuple[int, int] = PREVIEW_SIZE) -> Image.Image | None:
    """Returns a small RGB copy of the image for a preview, or None when it cannot be made."""
    try:
        with Image.open(io.BytesIO(asset.data)) as image:
            image.draft("RGB", size)  # JPEG: decode at a fraction of the size
            small = image.convert("RGB")
        small.thumbnail(size)
        return small
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def images_in(folder: Path) -> list[Path]:
    """Returns the image files in a folder, sorted by name; raises ImageError if none."""
    if not folder.is_dir():
        raise ImageError(f"{folder}: not a folder")
    found = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )
    if not found:
        raise ImageError(f"{folder}: no images here ({', '.join(IMAGE_SUFFIXES)})")
    return found
