"""The wheel carries every file the program opens at run time: a missing one blocks a release."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import vlmconsole
from tests.support.real_vllm import REPO
from tests.support.wheel import build_wheel, wheel_files
from vlmconsole.packaged import RUNTIME_FILES, builtin_themes, sample_screenshots

PACKAGE = REPO / "vlmconsole"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files of a wheel built from the checkout."""
    return wheel_files(build_wheel(tmp_path_factory.mktemp("dist")))


def test_every_file_the_program_opens_is_in_the_wheel(files: set[str]) -> None:
    missing = [name for name in RUNTIME_FILES if f"vlmconsole/{name}" not in files]
    assert missing == [], f"the wheel lacks {missing}"


def test_the_console_stylesheet_is_in_the_wheel(files: set[str]) -> None:
    from vlmconsole.ui.app import VlmConsoleApp

    stylesheet = Path(str(VlmConsoleApp.CSS_PATH))
    assert f"vlmconsole/ui/{stylesheet}" in files


def test_every_builtin_theme_and_sample_screenshot_is_in_the_wheel(files: set[str]) -> None:
    themes = sorted(p.name for p in builtin_themes().glob("*.toml"))
    shots = sorted(p.name for p in sample_screenshots().glob("*.png"))
    assert len(themes) >= 3 and len(shots) >= 6
    assert {f"vlmconsole/data/themes/{t}" for t in themes} <= files
    assert {f"vlmconsole/data/assets/{s}" for s in shots} <= files


def test_every_data_file_in_the_package_is_in_the_wheel(files: set[str]) -> None:
    on_disk = set()
    for folder, _, names in os.walk(PACKAGE, followlinks=True):  # data/ holds symlinks
        for name in names:
            path = Path(folder, name)
            if path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                on_disk.add(f"vlmconsole/{path.relative_to(PACKAGE)}")
    assert {"vlmconsole/ui/app.tcss", "vlmconsole/data/themes/vlm-dark.toml"} <= on_disk
    assert on_disk - files == set()


def test_the_wheel_holds_the_package_and_nothing_of_the_checkout(files: set[str]) -> None:
    tops = {name.split("/")[0] for name in files}
    assert tops == {"vlmconsole", f"vlmconsole-{vlmconsole.__version__}.dist-info"}, tops
    assert not any(name.startswith(("tests/", "themes/", "assets/")) for name in files)
    assert "vlmconsole/py.typed" in files
