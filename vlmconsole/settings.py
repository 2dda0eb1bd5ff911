"""Settings: flags > environment (VLMCONSOLE_*, VLLM_API_KEY, OPENAI_API_KEY) > file > defaults.

The settings file is TOML at `$VLMCONSOLE_CONFIG`, else
`~/.config/vlmconsole/config.toml`; every key is optional:

    api_key = "..."          # better kept in VLLM_API_KEY
    timeout_s = 5.0
    scrape_interval_s = 1.0
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


class SettingsError(ValueError):
    """The settings file or an environment value is not usable; the message says which."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What every command reads, resolved from flags, environment, file and defaults."""

    api_key: ApiKey | None = field(default=None, repr=False)
    """Bearer token for servers started with --api-key."""
    api_key_source: str = "none"
    """Where the key came from: flag, VLLM_API_KEY, OPENAI_API_KEY, file or none."""
    timeout_s: float = 5.0
    """Seconds to wait for one HTTP answer (not for a whole streamed reply)."""
    scrape_interval_s: float = 1.0
    """Seconds between two /metrics scrapes."""


def config_path(env: Mapping[str, str]) -> Path:
    """Returns the settings file's path."""
    if "VLMCONSOLE_CONFIG" in env:
        return Path(env["VLMCONSOLE_CONFIG"])
    base = Path(env.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "vlmconsole" / "config.toml"


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"settings file {path}: {error}") from error


def _float(value: object, where: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(f"{where} must be a number, not {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{where} must be above 0, not {number}")
    return number


def load_settings(
    api_key: str | None = None,
    timeout_s: float | None = None,
    scrape_interval_s: float | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Returns the settings with flags (the arguments) over env, the file and defaults."""
    env = os.environ if env is None else env
    path = config_path(env)
    file = _read_file(path)
    key_source = "none"
    key: str | None = None
    for source, candidate in (
        ("flag", api_key),
        ("VLLM_API_KEY", env.get("VLLM_API_KEY")),
        ("OPENAI_API_KEY", env.get("OPENAI_API_KEY")),
        (f"file {path}", file.get("api_key")),
    ):
        if candidate:
            key, key_source = str(candidate), source
            break
    timeout = (
        timeout_s
        if timeout_s is not None
        else _float(env.get("VLMCONSOLE_TIMEOUT_S", file.get("timeout_s", 5.0)), "timeout_s")
    )
    interval = (
        scrape_interval_s
        if scrape_interval_s is not None
        else _float(
            env.get("VLMCONSOLE_SCRAPE_INTERVAL_S", file.get("scrape_interval_s", 1.0)),
            "scrape_interval_s",
        )
    )
    return Settings(
        api_key=ApiKey(key) if key else None,
        api_key_source=key_source,
        timeout_s=timeout,
        scrape_interval_s=interval,
    )
