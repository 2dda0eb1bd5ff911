"""The headless core stays free of Textual: each module imported alone, in a fresh process."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import vlmconsole

HEADLESS_PACKAGES = ("vlmconsole.model", "vlmconsole.sources", "vlmconsole.export")


def headless_modules() -> list[str]:
    """Returns every module under the headless packages, and the CLI."""
    names = ["vlmconsole.cli"]
    for info in pkgutil.walk_packages(vlmconsole.__path__, prefix="vlmconsole."):
        if info.name.startswith(HEADLESS_PACKAGES):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", headless_modules())
def test_module_imports_without_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{module} pulls in textual\n{done.stderr}"


def test_no_two_modules_of_the_project_share_a_name() -> None:
    # `fleet` the command and `fleet` the model once both existed: a name says what it holds
    by_name: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(vlmconsole.__path__, prefix="vlmconsole."):
        if not info.ispkg and not info.name.endswith(".__main__"):
            by_name.setdefault(info.name.rsplit(".", 1)[-1], []).append(info.name)
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared
