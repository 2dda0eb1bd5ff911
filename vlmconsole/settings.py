"""Settings: one declared schema, read from the file, the environment and the flags.

Precedence: flags > environment > file > defaults. The file is TOML at
`$VLMCONSOLE_CONFIG`, else `$XDG_CONFIG_HOME/vlmconsole/config.toml` (that is
`~/.config/vlmconsole/config.toml`); every key is optional, and a missing file is
no file:

    api_key = "..."                    # better kept in VLLM_API_KEY
    timeout_s = 5.0                    # seconds per HTTP answer
    scrape_interval_s = 1.0            # seconds between /metrics scrapes
    theme = "vlm-dark"                 # or one of yours
    policy = "slide:8"                 # none, slide:N, chunk:N
    transport = "base64"               # base64, url, file
    max_tokens = 64
    preview = "auto"                   # auto, tgp, sixel, halfcell, none
    images_dir = "~/screenshots"       # where `n` and `w` take screenshots from
    model = "Qwen/Qwen2.5-VL-3B-Instruct"
    session_dir = "~/vlm/session"      # journal and exports (default: a new folder a run)
    text = "What changed on this screen?"

A key's environment variable is `VLMCONSOLE_` and the key in capitals
(`VLMCONSOLE_MAX_TOKENS=128`); the API key is read from `VLMCONSOLE_API_KEY`,
`VLLM_API_KEY` and `OPENAI_API_KEY`, in that order. An empty variable counts as
unset. Each key's flag is in `Settings` (`--max-tokens`); `~` in a folder is
expanded.

A key that is not a setting is refused with the nearest name ("unknown setting
'scrape_intervall_s' in /path/config.toml: did you mean 'scrape_interval_s'?"),
and so is a `VLMCONSOLE_` variable that is not one, except those other parts of
the project read (`NOT_SETTINGS`). Every problem is found before any is reported:
`SettingsError.problems` holds one line each, naming the file and key, the
variable or the flag. The API key never shows itself (`ApiKey`), not even in an
error. The README's "Settings" table is `settings_docs.settings_table()`.

The schema is a frozen dataclass whose fields carry their flag, their check and
their words (`dataclasses.fields(Settings)`); each check turns what a source gave
into the value or raises ValueError in the words of commands/arg_types.py. It was a
pydantic model: importing pydantic and building the model cost ~190 ms before the
console's first frame (bench_console.py --only startup), for twelve fields of
seven kinds.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from vlmconsole.model.outside_text import one_line
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings_checks import (
    ApiKey,
    check_api_key,
    check_folder,
    check_name,
    check_one_of,
    check_policy,
    check_positive_count,
    check_positive_seconds,
)

__all__ = ["ApiKey", "Settings", "SettingsError", "load_settings"]

Transport = Literal["base64", "url", "file", "uuid"]
TRANSPORTS: tuple[str, ...] = get_args(Transport)
Preview = Literal["auto", "tgp", "sixel", "halfcell", "none"]
PREVIEWS: tuple[str, ...] = get_args(Preview)


class SettingsError(ValueError):
    """The settings file, the environment or a flag is not usable; one line a problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _setting(
    default: object,
    flag: str,
    check: Callable[[object], object],
    what: str,
    said: str | None = None,
) -> object:
    """Returns a field: its default, its flag, its check, its words, its default in words."""
    shown = f"{default:g}" if isinstance(default, float) else str(default)
    meta = {"flag": flag, "check": check, "what": what, "shown": said or shown, "said": said}
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class Settings:
    """What every command reads, resolved from flags, environment, file and defaults."""

    api_key: ApiKey | None = _setting(  # type: ignore[assignment]
        None,
        "--api-key",
        check_api_key,
        "Bearer token for a server started with vLLM's --api-key (better kept in the environment).",
        "none",
    )
    timeout_s: float = _setting(  # type: ignore[assignment]
        5.0,
        "--timeout",
        check_positive_seconds,
        "Seconds to wait for one HTTP answer (not for a whole streamed reply).",
    )
    scrape_interval_s: float = _setting(  # type: ignore[assignment]
        1.0, "--interval", check_positive_seconds, "Seconds between two /metrics scrapes."
    )
    theme: str = _setting(  # type: ignore[assignment]
        "vlm-dark",
        "--theme",
        check_name,
        "vlm-dark, vlm-light, vlm-contrast, or one of yours (~/.config/vlmconsole/themes).",
    )
    policy: WindowPolicy = _setting(  # type: ignore[assignment]
        WindowPolicy(),
        "--policy",
        check_policy,
        "Window policy over old images: none, slide:N or chunk:N.",
    )
    transport: Transport = _setting(  # type: ignore[assignment]
        "base64",
        "--transport",
        check_one_of(TRANSPORTS),
        "How screenshots reach the server: base64, url, file or uuid (bytes once, then the id).",
    )
    max_tokens: int = _setting(  # type: ignore[assignment]
        64, "--max-tokens", check_positive_count, "Reply length, in tokens."
    )
    preview: Preview = _setting(  # type: ignore[assignment]
        "auto",
        "--preview",
        check_one_of(PREVIEWS),
        "Image previews: auto, tgp (Kitty), sixel, halfcell or none.",
    )
    images_dir: Path | None = _setting(  # type: ignore[assignment]
        None,
        "--images",
        check_folder,
        "Where n takes the next screenshot from, and w watches.",
        "none; demo: the samples",
    )
    model: str | None = _setting(  # type: ignore[assignment]
        None, "--model", check_name, "The model to chat with.", "the server's first"
    )
    session_dir: Path | None = _setting(  # type: ignore[assignment]
        None,
        "--session-dir",
        check_folder,
        "The folder for the journal and the exports.",
        "$XDG_DATA_HOME/vlmconsole/sessions/TIME",
    )
    text: str = _setting(  # type: ignore[assignment]
        "What changed on this screen?",
        "--text",
        check_name,
        "Words sent with a screenshot pushed without words.",
    )
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Where each value came from (not a setting): see `source_of`."""

    @property
    def api_key_source(self) -> str:
        """Returns where the key came from: its flag, variable, `file PATH`, or `none`."""
        return self.sources.get("api_key", "none")

    def source_of(self, key: str) -> str:
        """Returns where `key`'s value came from: a flag, a variable, `file PATH`, or `default`."""
        return self.sources.get(key, "default")


SCHEMA: dict[str, dataclasses.Field[object]] = {
    f.name: f for f in dataclasses.fields(Settings) if "flag" in f.metadata
}
"""Every setting's field, in the schema's order; `metadata` holds its flag, check, words."""
KEYS: tuple[str, ...] = tuple(SCHEMA)
"""Every setting's name, in the schema's order."""
KEY_VARIABLES = ("VLMCONSOLE_API_KEY", "VLLM_API_KEY", "OPENAI_API_KEY")
"""Where the API key is read from, first found wins."""
NOT_SETTINGS = frozenset(
    {
        "VLMCONSOLE_CONFIG",  # the settings file's path
        "VLMCONSOLE_CACHE",  # scripts and tests: the vLLM venv and test model
        "VLMCONSOLE_THEMES",  # ui/themes.py: more theme folders
        "VLMCONSOLE_DOCKER_IMAGE",  # scripts/setup_docker.sh
        "VLMCONSOLE_DOCKERD_LOG",  # scripts/setup_docker.sh
        "VLMCONSOLE_VLLM_STARTUP_TIMEOUT_S",  # tests/support/real_vllm.py
    }
)
"""VLMCONSOLE_ variables that are read elsewhere and are not settings."""


def flag_of(key: str) -> str:
    """Returns the flag that sets `key` (`--max-tokens`)."""
    return str(SCHEMA[key].metadata["flag"])


def default_text(key: str) -> str:
    """Returns `key`'s default as the help and the README show it."""
    return str(SCHEMA[key].metadata["shown"])


def said_in_words(key: str) -> bool:
    """Returns True when `key`'s default is said in words (`the server's first`)."""
    return SCHEMA[key].metadata["said"] is not None


def description(key: str) -> str:
    """Returns what `key` is, in one sentence."""
    return str(SCHEMA[key].metadata["what"])


def default_for_flag(options: Iterable[str]) -> str | None:
    """Returns the default of the setting one of `options` sets (`--timeout`), else None."""
    by_flag = {flag_of(key): key for key in KEYS}
    keys = [by_flag[option] for option in options if option in by_flag]
    return default_text(keys[0]) if keys else None


def variables_of(key: str) -> tuple[str, ...]:
    """Returns the environment variables that set `key`, first found wins."""
    return KEY_VARIABLES if key == "api_key" else (f"VLMCONSOLE_{key.upper()}",)


def config_path(env: Mapping[str, str]) -> Path:
    """Returns the settings file's path."""
    if env.get("VLMCONSOLE_CONFIG"):
        return Path(env["VLMCONSOLE_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "vlmconsole" / "config.toml"


@dataclass(frozen=True, slots=True)
class _Given:
    """One value as a source gave it: where an error names it, and where it came from."""

    value: object
    place: str
    """As a problem names it: `timeout_s in PATH`, `VLMCONSOLE_TIMEOUT_S`, `--timeout`."""
    source: str
    """As `Settings.source_of` says it: `file PATH`, the variable, or the flag."""


def _unknown(name: str, where: str, known: Iterable[str]) -> str:
    names = list(known)
    shown = one_line(name)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"unknown setting {shown!r} in {where}: did you mean {close[0]!r}?"
    return f"unknown setting {shown!r} in {where} (settings: {', '.join(names)})"


def _file_layer(path: Path, problems: list[str]) -> dict[str, _Given]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problems.append(f"settings file {one_line(path)}: {one_line(error)}")
        return {}
    shown = one_line(path)
    layer: dict[str, _Given] = {}
    for key, value in data.items():
        if key in SCHEMA:
            layer[key] = _Given(value, f"{key} in {shown}", f"file {shown}")
        else:
            problems.append(_unknown(key, shown, KEYS))
    return layer


def _env_layer(env: Mapping[str, str], problems: list[str]) -> dict[str, _Given]:
    names = [name for key in KEYS for name in variables_of(key)]
    for name in sorted(env):
        if name.startswith("VLMCONSOLE_") and name not in names and name not in NOT_SETTINGS:
            problems.append(_unknown(name, "the environment", [*names, *sorted(NOT_SETTINGS)]))
    layer: dict[str, _Given] = {}
    for key in KEYS:
        given = [name for name in variables_of(key) if env.get(name)]  # empty: unset
        if given:
            layer[key] = _Given(env[given[0]], given[0], given[0])
    return layer


def _flag_layer(flags: Mapping[str, object]) -> dict[str, _Given]:
    unknown = sorted(set(flags) - set(KEYS))
    if unknown:
        raise KeyError(f"not settings: {', '.join(unknown)}")  # a caller's mistake
    return {
        key: _Given(value, flag_of(key), flag_of(key))
        for key, value in flags.items()
        if value is not None
    }


def _validate(
    layer: Mapping[str, _Given], problems: list[str], sources: dict[str, str]
) -> dict[str, object]:
    """Returns the layer's values that are valid, adding a problem for each that is not."""
    valid: dict[str, object] = {}
    for key, given in layer.items():
        check: Callable[[object], object] = SCHEMA[key].metadata["check"]
        try:
            valid[key] = check(given.value)
        except ValueError as error:
            problems.append(f"{given.place}: {one_line(error)}")
            continue
        sources[key] = given.source
    return valid


def load_settings(
    flags: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Returns the settings: `flags` (key -> value, None: not given) over env, file, defaults.

    Raises SettingsError naming every problem in the file, the environment and the
    flags, not only the first.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    sources: dict[str, str] = {}
    values: dict[str, object] = {}
    # lowest first, each over the one before; problems in the order of the sources
    values.update(_validate(_file_layer(config_path(env), problems), problems, sources))
    values.update(_validate(_env_layer(env, problems), problems, sources))
    values.update(_validate(_flag_layer(flags or {}), problems, sources))
    if problems:
        raise SettingsError(problems)
    return Settings(**values, sources=sources)  # type: ignore[arg-type]  # each one checked


def flags_from(args: object, keys: Iterable[str] = KEYS) -> dict[str, object]:
    """Returns the flags given for `keys` from parsed arguments (None where not given)."""
    return {key: getattr(args, flag_of(key).lstrip("-").replace("-", "_"), None) for key in keys}
