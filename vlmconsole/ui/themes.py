"""Themes as data: TOML files read from the repository, the user's folder and $VLMCONSOLE_THEMES.

Each file holds the fields of a Textual `Theme` and a `[variables]` table with the
console's own colours (`APP_VARIABLES`), which the TCSS uses as `$chart-ttft` and so on.
Every file is checked on load and every problem is reported, one line each naming the
file and the field; a bad file is skipped and the others still load.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from vlmconsole.packaged import builtin_themes

DEFAULT_THEME = "vlm-dark"

THEME_VARIABLE_DEFAULTS = {
    "chart-ttft": "#4EA1F3",
    "chart-server-ttft": "#A371F7",
    "chart-decode": "#3FB950",
    "chart-fit": "#D29922",
    "gauge-ok": "#3FB950",
    "gauge-warn": "#D29922",
    "gauge-high": "#F85149",
    "receipt-cached": "#3FB950",
    "receipt-new": "#D29922",
    "connection-live": "#3FB950",
    "connection-lost": "#F85149",
}
"""Colours for the console's own variables under themes that lack them (Textual's own)."""

APP_VARIABLES: tuple[str, ...] = (
    "chart-ttft",
    "chart-server-ttft",
    "chart-decode",
    "chart-fit",
    "gauge-ok",
    "gauge-warn",
    "gauge-high",
    "receipt-cached",
    "receipt-new",
    "connection-live",
    "connection-lost",
)
"""The console's own colour variables; every theme must define all of them."""

COLOUR_FIELDS: tuple[str, ...] = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "warning",
    "error",
    "success",
)
"""Theme fields every file must give, each a colour."""

OPTIONAL_COLOUR_FIELDS: tuple[str, ...] = ("boost",)
OPTIONAL_NUMBER_FIELDS: tuple[str, ...] = ("luminosity_spread", "text_alpha")
KNOWN_FIELDS = frozenset(
    {"name", "dark", "variables", *COLOUR_FIELDS, *OPTIONAL_COLOUR_FIELDS, *OPTIONAL_NUMBER_FIELDS}
)

BUILTIN_THEMES = builtin_themes()
"""The themes that ship with the console (the package's `data/themes`)."""


def theme_folders(env: Mapping[str, str] | None = None) -> list[Path]:
    """Returns the folders to read themes from, lowest precedence first; only existing ones.

    The built-in themes, then `$XDG_CONFIG_HOME/vlmconsole/themes` (default
    `~/.config`), then each folder in `$VLMCONSOLE_THEMES` (separated by `os.pathsep`).
    A folder named twice is read once, at its first place. `env` defaults to os.environ.
    """
    env = os.environ if env is None else env
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    candidates = [BUILTIN_THEMES, config / "vlmconsole" / "themes"]
    extra = env.get("VLMCONSOLE_THEMES", "")
    candidates += [Path(part).expanduser() for part in extra.split(os.pathsep) if part.strip()]
    folders: list[Path] = []
    for folder in candidates:
        if folder.is_dir() and folder.resolve() not in {f.resolve() for f in folders}:
            folders.append(folder)
    return folders


def load_themes(folders: Sequence[Path]) -> tuple[list[Theme], list[str]]:
    """Reads every `*.toml` in `folders`, in order; a later file overrides a same-named theme.

    Returns the themes that passed every check (in the order their names were first
    seen) and every problem found, one line each (`FILE: FIELD: what is wrong`).
    """
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            theme, found = load_theme_file(path)
            problems += found
            if theme is not None:
                themes[theme.name] = theme
    return list(themes.values()), problems


def load_theme_file(path: Path) -> tuple[Theme | None, list[str]]:
    """Reads and checks one theme file.

    Returns the theme (None when any check failed) and the problems, one line each.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"{path}: cannot be read: {error}"]
    except tomllib.TOMLDecodeError as error:
        return None, [f"{path}: TOML syntax: {error}"]
    problems = [f"{path}: {line}" for line in theme_problems(data)]
    if problems:
        return None, problems
    return _build_theme(data), []


def theme_problems(data: Mapping[str, Any]) -> list[str]:
    """Returns what is wrong with a parsed theme table, one `FIELD: what` line each."""
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: missing (a non-empty string)")
    if not isinstance(data.get("dark"), bool):
        problems.append("dark: missing (true or false)")
    for field in COLOUR_FIELDS:
        if field not in data:
            problems.append(f'{field}: missing (a colour such as "#4aa8ff")')
        else:
            problems += _colour_problems(field, data[field])
    for field in OPTIONAL_COLOUR_FIELDS:
        if field in data:
            problems += _colour_problems(field, data[field])
    for field in OPTIONAL_NUMBER_FIELDS:
        value = data.get(field, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"{field}: {value!r} is not a number from 0 to 1")
    for field in sorted(set(data) - KNOWN_FIELDS):
        problems.append(f"{field}: not a theme field (known: {', '.join(sorted(KNOWN_FIELDS))})")
    variables = data.get("variables")
    if not isinstance(variables, Mapping):
        problems.append("variables: missing (a [variables] table with the console's colours)")
        return problems
    for variable in APP_VARIABLES:
        if variable not in variables:
            problems.append(f"variables.{variable}: missing (a colour)")
        else:
            problems += _colour_problems(f"variables.{variable}", variables[variable])
    for variable, value in variables.items():
        if variable not in APP_VARIABLES and not isinstance(value, str):
            problems.append(f"variables.{variable}: {value!r} is not a string")
    return problems


def _colour_problems(field: str, value: object) -> list[str]:
    """Returns one line when `value` is not a colour Textual can read, else nothing."""
    if not isinstance(value, str):
        return [f"{field}: {value!r} is not a colour (write it as a string)"]
    try:
        Color.parse(value)
    except ColorParseError:
        return [f"{field}: {value!r} is not a colour"]
    return []


def _build_theme(data: Mapping[str, Any]) -> Theme:
    """Returns the Theme for a table that passed `theme_problems`."""
    optional: dict[str, Any] = {
        field: data[field]
        for field in (*OPTIONAL_COLOUR_FIELDS, *OPTIONAL_NUMBER_FIELDS)
        if field in data
    }
    return Theme(
        name=data["name"].strip(),
        dark=data["dark"],
        **{field: data[field] for field in COLOUR_FIELDS},
        **optional,
        variables={str(key): str(value) for key, value in data["variables"].items()},
    )


def install_themes(app: App[Any], wanted: str | None) -> tuple[list[str], list[str]]:
    """Registers the console's themes with `app` and switches to `wanted` (default
    vlm-dark); returns the names `t` cycles through and what was wrong with the themes."""
    themes, problems = load_themes(theme_folders())
    for theme in themes:
        app.register_theme(theme)
    wanted = wanted or DEFAULT_THEME
    if wanted in app.available_themes:
        app.theme = wanted
    else:
        problems.append(f"no theme named {wanted!r}: using {app.theme}")
    return [t.name for t in themes], problems
