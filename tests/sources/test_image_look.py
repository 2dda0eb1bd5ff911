"""An image's pixel digest and look: the same pixels in other bytes share a digest; a JPEG
re-save of a screen looks the same (a few bits apart) and another screen does not."""

from __future__ import annotations

import io

from PIL import Image

from vlmconsole.model.cache_rules import SAME_LOOK_BITS, look_distance
from vlmconsole.packaged import sample_screenshots
from vlmconsole.sources.screenshots import decode_image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_other_bytes_same_pixels_share_the_digest_a_resave_looks_the_same() -> None:
    first, second = sorted(sample_screenshots().glob("*.png"))[:2]
    with Image.open(first) as opened:
        picture = opened.convert("RGB")
    plain = decode_image(encoded(picture, "PNG", compress_level=1), "a.png")
    squeezed = decode_image(encoded(picture, "PNG", compress_level=9), "a.png")
    assert plain.sha256 != squeezed.sha256
    assert plain.pixels_sha256 == squeezed.pixels_sha256
    jpeg = decode_image(encoded(picture, "JPEG", quality=70), "a.jpg")
    assert jpeg.pixels_sha256 != plain.pixels_sha256
    assert plain.look and jpeg.look
    assert look_distance(plain.look, jpeg.look) <= SAME_LOOK_BITS
    other = decode_image(second.read_bytes(), "b.png")
    assert other.look and look_distance(plain.look, other.look) > SAME_LOOK_BITS
    assert plain.info().look == plain.look and plain.info().pixels_sha256 == plain.pixels_sha256
