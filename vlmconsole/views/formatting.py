"""Numbers as people read them: units, thousands, and the two kinds of missing.

"not reported" means the server does not export the metric at all; "—" means
there is no value yet (one scrape only, or nothing happened in the window).
"""

from __future__ import annotations

NOT_REPORTED = "not reported by this server"
NO_DATA = "—"


def count(value: float | None) -> str:
    """Returns a count with thousands separators, such as `15,612`."""
    return NO_DATA if value is None else f"{value:,.0f}"


def percent(fraction: float | None) -> str:
    """Returns a 0..1 fraction as a percentage, such as `42.5%`."""
    return NO_DATA if fraction is None else f"{fraction * 100:.1f}%"


def per_second(value: float | None, unit: str = "/s") -> str:
    """Returns a rate, such as `1,561 tok/s` or `0.10/s`."""
    if value is None:
        return NO_DATA
    if value == 0:
        return f"0 {unit}".replace(" /s", "/s")
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".replace(" /s", "/s")
    return f"{value:.2f} {unit}".replace(" /s", "/s")


def seconds(value: float | None) -> str:
    """Returns a duration: `850 ms` below one second, `1.23 s` above, `2 m 05 s` past a minute."""
    if value is None:
        return NO_DATA
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.2f} s"
    minutes, rest = divmod(value, 60)
    return f"{minutes:.0f} m {rest:02.0f} s"


def uptime(seconds: float | None) -> str:
    """Returns an uptime as people read it: `45 s`, `12 m`, `3 h 05 m`, `2 d 04 h`."""
    if seconds is None:
        return NO_DATA
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, _ = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} m"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def or_not_reported(text: str, reported: bool) -> str:
    """Returns `text`, or the not-reported phrase when the server lacks the metric."""
    return text if reported else NOT_REPORTED


def size(value: int | None) -> str:
    """Returns a byte count as people read it: `512 B`, `260 KB`, `1.1 MB`."""
    if value is None:
        return NO_DATA
    if value >= 1_000_000:
        return f"{value / 1e6:.1f} MB"
    return f"{value / 1e3:.0f} KB" if value >= 1000 else f"{value} B"
