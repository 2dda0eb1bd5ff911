"""The settings' checks: what a file, a variable or a flag gave -> the value, or a
ValueError in the words of commands/arg_types.py (settings.py names where it came from).
And the API key that never shows itself."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from vlmconsole.model.outside_text import one_line
from vlmconsole.model.window_policy import WindowPolicy


class ApiKey:
    """An API key that never shows itself: its str and repr are masked."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Returns the key itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _shown_value(value: object) -> str:
    shown = one_line(repr(value))
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _number(value: object, kind: type[float] | type[int], words: str) -> float:
    if isinstance(value, bool):  # TOML's true is no number
        raise ValueError(f"must be a number, not {str(value).lower()}")
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            raise ValueError(f"{_shown_value(value)} {words}") from None
    if isinstance(value, int | float) and (kind is float or float(value).is_integer()):
        return kind(value)
    raise ValueError(f"{_shown_value(value)} {words}")


def _positive(number: float, given: object) -> None:
    if not number > 0:  # NaN too
        raise ValueError(f"must be more than 0, not {_shown_value(given)}")


def check_positive_seconds(value: object) -> float:
    """A finite number of seconds above 0."""
    seconds = float(_number(value, float, "is not a number"))
    _positive(seconds, value)
    if not math.isfinite(seconds):
        raise ValueError(f"{_shown_value(value)} is not a finite number")
    return seconds


def check_positive_count(value: object) -> int:
    """A whole number above 0."""
    count = int(_number(value, int, "is not a whole number"))
    _positive(count, value)
    return count


def check_name(value: object) -> str:
    """Text, without the spaces around it, not empty."""
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {_shown_value(value)}")
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def check_folder(value: object) -> Path:
    """A folder's path, `~` expanded."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    if not isinstance(value, str | Path):
        raise ValueError(f"must be a folder's path, not {_shown_value(value)}")
    return Path(value).expanduser()


def check_policy(value: object) -> WindowPolicy:
    """A window policy, as WindowPolicy.parse reads it (its reason when it cannot)."""
    if isinstance(value, WindowPolicy):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be none, slide:N or chunk:N, not {_shown_value(value)}")
    return WindowPolicy.parse(value)  # PolicyError is a ValueError, in its own words


def check_one_of(options: Sequence[str]) -> Callable[[object], str]:
    """One of `options`, as it is written."""
    listed = ", ".join(repr(option) for option in options[:-1]) + f" or {options[-1]!r}"

    def check(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"must be {listed}, not {_shown_value(value)}")
        return value

    return check


def check_api_key(value: object) -> ApiKey:
    """A non-empty string; no message ever quotes it."""
    if isinstance(value, ApiKey):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string (the value is not shown)")
    return ApiKey(value)
