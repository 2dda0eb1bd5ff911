"""Synthetic screenshots: deterministic, byte-distinct PNGs that look like a desktop.

Used by `bench --synthetic WxH`, the demo and the tests. Each seed gives other
pixels (so the server's multimodal and prefix caches cannot carry over between
runs), the same seed gives the same bytes. Lines of real glyphs and a photo-like
panel keep the PNG about as large as a real desktop screenshot (~150 KB at 720p).
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

_PALETTE = [
    (36, 41, 46),
    (246, 248, 250),
    (3, 102, 214),
    (40, 167, 69),
    (215, 58, 73),
    (255, 211, 61),
    (111, 66, 193),
    (88, 96, 105),
]


def synthetic_screenshot(width: int, height: int, seed: int) -> bytes:
    """Returns PNG bytes of a width x height screenshot-like picture made from `seed`."""
    if width < 16 or height < 16:
        raise ValueError(
            f"a synthetic screenshot needs at least 16x16 pixels, not {width}x{height}"
        )
    rng = random.Random(seed)
    background = rng.choice(_PALETTE[:2])
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    bar = max(8, height // 30)
    draw.rectangle((0, 0, width, bar), fill=rng.choice(_PALETTE))  # title bar
    draw.rectangle((0, height - bar, width, height), fill=rng.choice(_PALETTE))  # status bar
    for _ in range(12):  # windows and panels
        x0, y0 = rng.randrange(0, width - 8), rng.randrange(bar, height - bar)
        x1 = min(width - 1, x0 + rng.randrange(8, max(9, width // 2)))
        y1 = min(height - bar, y0 + rng.randrange(8, max(9, height // 2)))
        draw.rectangle((x0, y0, x1, y1), fill=rng.choice(_PALETTE), outline=(0, 0, 0))
    # a photo-like panel: noise does not compress, as photos and video frames don't
    panel_w, panel_h = max(8, width // 5), max(8, height // 5)
    noise = Image.frombytes("RGB", (panel_w, panel_h), rng.randbytes(panel_w * panel_h * 3))
    image.paste(noise, (width - panel_w - bar, bar * 2))
    words = [
        "File",
        "Edit",
        "View",
        "Run",
        "error:",
        "warning",
        "OK",
        "Cancel",
        "tokens",
        "latency",
        "cache",
        "server",
        "request",
        "0.32.0",
        "images",
        "turn",
        "screen",
    ]
    for row in range(bar * 2, height - bar * 2, 14):  # lines of text
        x = rng.randrange(4, max(5, width // 8))
        line = " ".join(rng.choice(words) for _ in range(rng.randrange(3, 14)))
        draw.text((x, row), line, fill=rng.choice(_PALETTE))
    draw.text((4, 1), f"vlmconsole synthetic screenshot {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
