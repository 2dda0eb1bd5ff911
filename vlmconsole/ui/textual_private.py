"""Every use of Textual's private API, in one place, each with its reason.

Textual is pinned to the minor version these were tested on (`pyproject.toml`:
`textual>=8.2,<8.3`); before widening the pin, check each function below against
the new release (the app tests cover all three).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color as RichColor
from textual._styles_cache import StylesCache
from textual.renderables._blend_colors import blend_colors as _blend_colors
from textual.renderables.sparkline import Sparkline as SparklineRenderable
from textual.screen import Screen


def release_styles_caches() -> None:
    """Empties the LRU cache behind `StylesCache.get_inner_outer`.

    Why: it is an `lru_cache` on a method, so it keeps the caches of the last 1,024
    widgets alive, and with them every line those widgets rendered
    (Textualize/textual#6665, open): a chat of a thousand turns grew by ~0.3 MB a
    turn after its oldest turns had left the screen. No public API releases it.
    """
    StylesCache.get_inner_outer.cache_clear()


def sparkline_buckets(data: Sequence[float], width: int) -> list[Sequence[float]]:
    """Returns the buckets Textual's sparkline renderable splits `data` into for `width` cells.

    Why: a sparkline repaints only when the bars it draws change, and telling that
    needs the exact bucketing Textual draws with (`Sparkline._buckets`, private).
    """
    return list(SparklineRenderable._buckets(list(data), num_buckets=width))


def blend_colors(low: RichColor, high: RichColor, ratio: float) -> RichColor:
    """Returns the colour `ratio` of the way from `low` to `high`, as Textual's sparkline
    colours a bar.

    Why: the server panel draws its sparklines into its own lines (one widget for all its
    metrics), in the colours Textual's Sparkline gives them; the blend is private
    (`textual.renderables._blend_colors`).
    """
    return _blend_colors(low, high, ratio)


def screen_lines(screen: Screen[object]) -> list[str]:
    """Returns the screen's rendered rows as plain text, as the compositor drew them.

    Why: tests and the tmux-free checks read the screen the way a person would;
    Textual exposes the composited strips only through the private `_compositor`.
    """
    return [strip.text for strip in screen._compositor.render_strips()]
