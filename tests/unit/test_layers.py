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
