"""The product as users get it: a wheel built from the checkout, installed in a fresh venv.

The e2e tier runs this installed program, from a working folder outside the
checkout, so a file the code opens at run time that the wheel lacks fails there.
The wheel is built from a copy of the checkout that is deleted before anything
runs, so nothing can reach back into the source tree.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.real_vllm import REPO

LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    "build", "dist", "test-artifacts", "snapshot_report.html",
)  # fmt: skip
"""What a clean clone would not hold."""


def build_wheel(out_dir: Path, source: Path = REPO) -> Path:
    """Builds the project's wheel from `source` into `out_dir`; returns the wheel's path.

    Uses the test environment's hatchling (no isolated build environment), so it
    needs no download and takes well under a second.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out_dir)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"wheel build failed:\n{done.stdout}\n{done.stderr}"
    wheels = sorted(out_dir.glob("vlmconsole-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def wheel_files(wheel: Path) -> set[str]:
    """Returns the paths of every file in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def copy_of_checkout(dest: Path) -> Path:
    """Copies the checkout (symlinks kept, as git keeps them) to `dest`; returns `dest`."""
    shutil.copytree(REPO, dest, symlinks=True, ignore=LEFT_OUT)
    return dest


@dataclass(frozen=True, slots=True)
class InstalledWheel:
    """The wheel, the venv it is installed in, and a working folder outside the checkout."""

    wheel: Path
    venv: Path
    workdir: Path

    @property
    def program(self) -> Path:
        """The installed `vlmconsole` console script."""
        return self.venv / "bin" / "vlmconsole"

    @property
    def python(self) -> Path:
        """The venv's Python."""
        return self.venv / "bin" / "python"


@functools.cache
def installed_wheel() -> InstalledWheel:
    """Builds the wheel from a copy of the checkout, deletes the copy, installs the wheel.

    Once per test process; everything lives in one temporary folder removed at exit.
    The install takes its dependencies from pip's cache (about 20 s on these machines).
    """
    root = Path(tempfile.mkdtemp(prefix="vlmconsole-installed-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    source = copy_of_checkout(root / "source")
    wheel = build_wheel(root / "dist", source)
    shutil.rmtree(source)  # the checkout the wheel came from is gone: moved aside
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "--no-input", str(wheel)],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"installing the wheel failed:\n{done.stderr[-4000:]}"
    workdir = root / "work"
    workdir.mkdir()
    return InstalledWheel(wheel, venv, workdir)
