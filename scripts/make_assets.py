"""Writes the sample screenshots in assets/ (used by `vlmconsole demo` and the docs).

    .venv/bin/python scripts/make_assets.py

Six synthetic 1280x720 desktop-like screenshots (seeds 1-6), deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vlmconsole.sources.synthetic_images import synthetic_screenshot  # noqa: E402

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    for seed in range(1, 7):
        path = ASSETS / f"screen-{seed:02d}.png"
        path.write_bytes(synthetic_screenshot(1280, 720, seed=seed))
        print(f"wrote {path} ({path.stat().st_size / 1000:.0f} KB)")


if __name__ == "__main__":
    main()
