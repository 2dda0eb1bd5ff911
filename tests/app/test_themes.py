"""Themes are data: every shipped file loads, and every broken one is reported at once."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.color import Color

from tests.app.hosts import HostApp
from vlmconsole.ui.themes import (
    APP_VARIABLES,
    BUILTIN_THEMES,
    DEFAULT_THEME,
    load_themes,
    theme_folders,
)

SHIPPED = ("vlm-dark", "vlm-light", "vlm-contrast")


def theme_text(name: str, *, drop: str = "", replace: tuple[str, str] = ("", "")) -> str:
    """Returns vlm-dark's file renamed to `name`, with a line dropped or a value replaced."""
    text = (BUILTIN_THEMES / "vlm-dark.toml").read_text(encoding="utf-8")
    text = text.replace('name = "vlm-dark"', f'name = "{name}"')
    if drop:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(drop))
    if replace[0]:
        text = text.replace(*replace)
    return text


def write(folder: Path, file_name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    path.write_text(text, encoding="utf-8")
    return path


def contrast(one: str, other: str) -> float:
    """Returns the WCAG contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        channels = [c / 255 for c in Color.parse(colour).rgb]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_three_shipped_themes_load_without_problems() -> None:
    themes, problems = load_themes([BUILTIN_THEMES])
    assert problems == []
    assert sorted(theme.name for theme in themes) == sorted(SHIPPED)
    assert DEFAULT_THEME in {theme.name for theme in themes}
    for theme in themes:
        assert set(APP_VARIABLES) <= set(theme.variables), theme.name
    assert {theme.name: theme.dark for theme in themes} == {
        "vlm-dark": True,
        "vlm-light": False,
        "vlm-contrast": True,
    }


def test_contrast_theme_is_pure_black_and_white_with_bright_accents() -> None:
    themes, _ = load_themes([BUILTIN_THEMES])
    theme = next(theme for theme in themes if theme.name == "vlm-contrast")
    assert Color.parse(theme.background or "").hex == "#000000"
    assert Color.parse(theme.foreground or "").hex == "#FFFFFF"
    accents = [theme.primary, theme.accent, theme.warning, theme.error, theme.success]
    accents += [theme.variables[name] for name in APP_VARIABLES]
    for colour in accents:
        assert colour is not None
        assert contrast(colour, "#000000") >= 4.5, colour


def test_shipped_theme_files_carry_every_theme_field() -> None:
    for name in SHIPPED:
        data = tomllib.loads((BUILTIN_THEMES / f"{name}.toml").read_text(encoding="utf-8"))
        assert data["name"] == name
        for field in ("primary", "secondary", "accent", "foreground", "background"):
            assert field in data
        for field in ("surface", "panel", "warning", "error", "success", "dark"):
            assert field in data


def test_broken_themes_are_reported_together_and_the_good_ones_still_load(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "themes"
    no_variable = write(folder, "no-var.toml", theme_text("no-var", drop="chart-decode"))
    bad_colour = write(
        folder, "bad-colour.toml", theme_text("bad-colour", replace=("#4aa8ff", "#12345z"))
    )
    broken = write(folder, "broken.toml", 'name = "broken"\nprimary = "#ff0000\n')
    write(folder, "good.toml", theme_text("good"))

    themes, problems = load_themes([BUILTIN_THEMES, folder])

    assert sorted(theme.name for theme in themes) == sorted([*SHIPPED, "good"])
    assert any(
        line.startswith(f"{no_variable}:") and "variables.chart-decode" in line for line in problems
    ), problems
    colour_lines = [line for line in problems if line.startswith(f"{bad_colour}:")]
    assert any("primary" in line and "#12345z" in line for line in colour_lines), problems
    assert any("variables.chart-ttft" in line for line in colour_lines), problems
    assert any(line.startswith(f"{broken}:") and "TOML syntax" in line for line in problems), (
        problems
    )
    assert all("\n" not in line for line in problems)


def test_missing_fields_are_each_named(tmp_path: Path) -> None:
    path = write(tmp_path, "thin.toml", 'name = "thin"\nprimary = "#ff0000"\nprimay = "red"\n')
    themes, problems = load_themes([tmp_path])
    assert themes == []
    named = {line.removeprefix(f"{path}: ").split(":")[0] for line in problems}
    for field in ("dark", "secondary", "panel", "success", "variables", "primay"):
        assert field in named, problems


def test_a_later_folder_overrides_a_theme_of_the_same_name(tmp_path: Path) -> None:
    mine = write(
        tmp_path / "mine", "my-dark.toml", theme_text("vlm-dark", replace=("#4aa8ff", "#ff8800"))
    )
    themes, problems = load_themes([BUILTIN_THEMES, mine.parent])
    assert problems == []
    dark = [theme for theme in themes if theme.name == "vlm-dark"]
    assert len(dark) == 1
    assert dark[0].primary == "#ff8800"
    assert dark[0].variables["chart-ttft"] == "#ff8800"


def test_a_broken_override_keeps_the_earlier_theme(tmp_path: Path) -> None:
    write(tmp_path, "vlm-dark.toml", theme_text("vlm-dark", drop="gauge-ok"))
    themes, problems = load_themes([BUILTIN_THEMES, tmp_path])
    assert len(problems) == 1 and "variables.gauge-ok" in problems[0]
    assert any(theme.name == "vlm-dark" for theme in themes)


def test_theme_folders_are_repo_then_user_then_env_and_only_existing(tmp_path: Path) -> None:
    config = tmp_path / "config"
    extra = tmp_path / "extra"
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(config)}
    assert theme_folders(env) == [BUILTIN_THEMES]

    (config / "vlmconsole" / "themes").mkdir(parents=True)
    extra.mkdir()
    env["VLMCONSOLE_THEMES"] = str(extra)
    assert theme_folders(env) == [BUILTIN_THEMES, config / "vlmconsole" / "themes", extra]


def test_theme_folders_default_to_dot_config_under_home(tmp_path: Path) -> None:
    user = tmp_path / ".config" / "vlmconsole" / "themes"
    user.mkdir(parents=True)
    env = {"HOME": str(tmp_path), "VLMCONSOLE_THEMES": str(tmp_path / "missing")}
    assert theme_folders(env) == [BUILTIN_THEMES, user]


@pytest.mark.parametrize("name", SHIPPED)
async def test_each_theme_applies_to_a_running_app(name: str) -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        app.theme = name
        await pilot.pause()
        variables = app.theme_variables
        for variable in APP_VARIABLES:
            assert variable in variables
