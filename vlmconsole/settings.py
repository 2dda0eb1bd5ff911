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
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    ValidationError,
)
from pydantic_core import CoreSchema, core_schema

from vlmconsole.model.outside_text import one_line
from vlmconsole.model.session import WindowPolicy


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

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Returns the schema that makes a key of a non-empty string and dumps it masked."""
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(repr),
        )

    @classmethod
    def _validate(cls, value: object) -> ApiKey:
        if isinstance(value, ApiKey):
            return value
        if not isinstance(value, str) or not value.strip():
            # the message never quotes the value: it may be a key
            raise ValueError("must be a non-empty string (the value is not shown)")
        return cls(value)


class SettingsError(ValueError):
    """The settings file, the environment or a flag is not usable; one line a problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _not_a_bool(value: object) -> object:
    # pydantic reads true as 1; in a settings file it is a mistake
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _not_empty(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


def _policy(value: object) -> WindowPolicy:
    if isinstance(value, WindowPolicy):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be none, slide:N or chunk:N, not {_shown_value(value)}")
    return WindowPolicy.parse(value)  # its PolicyError is a ValueError: pydantic keeps it


PositiveSeconds = Annotated[float, BeforeValidator(_not_a_bool), Field(gt=0, allow_inf_nan=False)]
PositiveCount = Annotated[int, BeforeValidator(_not_a_bool), Field(gt=0)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Folder = Annotated[Path, BeforeValidator(_not_empty), AfterValidator(lambda p: p.expanduser())]
Policy = Annotated[WindowPolicy, PlainValidator(_policy), PlainSerializer(str)]
Transport = Literal["base64", "url", "file"]
Preview = Literal["auto", "tgp", "sixel", "halfcell", "none"]


def _setting(default: object, flag: str, said: str | None = None) -> Any:
    """Returns a field: its default, its flag, and its default in words when not a value."""
    shown = f"{default:g}" if isinstance(default, float) else str(default)
    return Field(default, json_schema_extra={"flag": flag, "shown": said or shown, "said": said})


class Settings(BaseModel):
    """What every command reads, resolved from flags, environment, file and defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    api_key: ApiKey | None = _setting(None, "--api-key", "none")
    """Bearer token for a server started with vLLM's --api-key (better kept in the environment)."""
    timeout_s: PositiveSeconds = _setting(5.0, "--timeout")
    """Seconds to wait for one HTTP answer (not for a whole streamed reply)."""
    scrape_interval_s: PositiveSeconds = _setting(1.0, "--interval")
    """Seconds between two /metrics scrapes."""
    theme: Name = _setting("vlm-dark", "--theme")
    """vlm-dark, vlm-light, vlm-contrast, or one of yours (~/.config/vlmconsole/themes)."""
    policy: Policy = _setting(WindowPolicy(), "--policy")
    """Window policy over old images: none, slide:N or chunk:N."""
    transport: Transport = _setting("base64", "--transport")
    """How screenshots reach the server: base64, url or file."""
    max_tokens: PositiveCount = _setting(64, "--max-tokens")
    """Reply length, in tokens."""
    preview: Preview = _setting("auto", "--preview")
    """Image previews: auto, tgp (Kitty), sixel, halfcell or none."""
    images_dir: Folder | None = _setting(None, "--images", "none; demo: the samples")
    """Where n takes the next screenshot from, and w watches."""
    model: Name | None = _setting(None, "--model", "the server's first")
    """The model to chat with."""
    session_dir: Folder | None = _setting(
        None, "--session-dir", "$XDG_DATA_HOME/vlmconsole/sessions/TIME"
    )
    """The folder for the journal and the exports."""
    text: Name = _setting("What changed on this screen?", "--text")
    """Words sent with a screenshot pushed without words."""

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def api_key_source(self) -> str:
        """Returns where the key came from: its flag, variable, `file PATH`, or `none`."""
        return self._sources.get("api_key", "none")

    def source_of(self, key: str) -> str:
        """Returns where `key`'s value came from: a flag, a variable, `file PATH`, or `default`."""
        return self._sources.get(key, "default")


KEYS: tuple[str, ...] = tuple(Settings.model_fields)
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


def _extra(key: str, name: str) -> object:
    extra = Settings.model_fields[key].json_schema_extra
    assert isinstance(extra, dict)
    return extra[name]


def flag_of(key: str) -> str:
    """Returns the flag that sets `key` (`--max-tokens`)."""
    return str(_extra(key, "flag"))


def default_text(key: str) -> str:
    """Returns `key`'s default as the help and the README show it."""
    return str(_extra(key, "shown"))


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
        if key in Settings.model_fields:
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


def _shown_value(value: object) -> str:
    shown = one_line(repr(value))
    return shown if len(shown) <= 60 else shown[:57] + "..."


_PHRASES = {
    "float_parsing": "{value} is not a number",
    "float_type": "{value} is not a number",
    "int_parsing": "{value} is not a whole number",
    "int_type": "{value} is not a whole number",
    "int_from_float": "{value} is not a whole number",
    "finite_number": "{value} is not a finite number",
    "greater_than": "must be more than {gt}, not {value}",
    "literal_error": "must be {expected}, not {value}",
    "string_type": "must be text, not {value}",
    "string_too_short": "must not be empty",
    "path_type": "must be a folder's path, not {value}",
}
"""pydantic's error types in the words of commands/arg_types.py."""


def _reason(key: str, error: Mapping[str, Any]) -> str:
    if key == "api_key":  # never quote what may be a key
        return "must be a non-empty string (the value is not shown)"
    context = error.get("ctx") or {}
    if error["type"] == "value_error":  # our validators' and WindowPolicy's own words
        return one_line(context["error"])
    value = _shown_value(error["input"])
    phrase = _PHRASES.get(error["type"])
    if phrase is None:
        return f"{one_line(error['msg'])}, not {value}"
    gt = context.get("gt", 0)
    return phrase.format(value=value, gt=f"{gt:g}", expected=context.get("expected", ""))


def _validate(
    layer: Mapping[str, _Given], problems: list[str], sources: dict[str, str]
) -> dict[str, object]:
    """Returns the layer's values that are valid, adding a problem for each that is not."""
    valid: dict[str, object] = {}
    for key, given in layer.items():
        try:
            checked = Settings.model_validate({key: given.value})
        except ValidationError as error:
            problems.extend(f"{given.place}: {_reason(key, e)}" for e in error.errors())
            continue
        valid[key] = getattr(checked, key)
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
    settings = Settings.model_validate(values)
    settings._sources = sources
    return settings


def flags_from(args: object, keys: Iterable[str] = KEYS) -> dict[str, object]:
    """Returns the flags given for `keys` from parsed arguments (None where not given)."""
    return {key: getattr(args, flag_of(key).lstrip("-").replace("-", "_"), None) for key in keys}
