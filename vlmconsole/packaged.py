"""The data files that ship inside the package: built-in themes and sample screenshots.

The sources live at the repository's top level (`themes/`, `assets/`). In a checkout,
`vlmconsole/data/` holds symlinks to them; the wheel and the sdist carry real copies at
the same place (`pyproject.toml`, `[tool.hatch.build]`). Everything is found through
`importlib.resources`, so an editable install and an installed wheel read the same paths.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

RUNTIME_FILES: tuple[str, ...] = (
    "ui/app.tcss",
    "data/themes/vlm-dark.toml",
    "data/themes/vlm-light.toml",
    "data/themes/vlm-contrast.toml",
    "data/assets/screen-01.png",
    "served/app_index.html",
    "py.typed",
)
"""Files (relative to the package) that the program opens at run time; the wheel must hold each."""


def packaged_dir(name: str) -> Path:
    """Returns the folder `vlmconsole/data/<name>` of the installed package, as a path.

    The package is installed on a file system (pip, pipx, an editable checkout), so its
    resources are plain paths; a zipped install is refused with a clear error.
    """
    found = files("vlmconsole").joinpath("data", name)
    if not isinstance(found, Path):
        raise RuntimeError(f"vlmconsole's data folder {name!r} is not on a file system")
    return found


def builtin_themes() -> Path:
    """Returns the folder of the themes that ship with the console (`*.toml`)."""
    return packaged_dir("themes")


def sample_screenshots() -> Path:
    """Returns the folder of the sample screenshots the demo pushes with `n`."""
    return packaged_dir("assets")


def served_templates() -> Path:
    """Returns the folder of the page `vlmconsole serve` hands the browser."""
    found = files("vlmconsole").joinpath("served")
    if not isinstance(found, Path):
        raise RuntimeError("vlmconsole's served page is not on a file system")
    return found
