"""What a Python import costs, read from `python -X importtime` in a fresh interpreter.

`-X importtime` writes one stderr line a module, after the module finished:
`import time: SELF_US | CUMULATIVE_US | NAME`, NAME indented two spaces a level
below the module that imported it. A line's children are the lines just above
it, one level deeper.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterable, Mapping

PREFIX = "import time:"


@dataclasses.dataclass(frozen=True, slots=True)
class ImportLine:
    """One module's import, as `-X importtime` reported it."""

    name: str
    depth: int
    self_us: int
    cumulative_us: int
    parent: str | None
    """The module whose import imported it first (None at the top level)."""


def parse_importtime(stderr: str) -> list[ImportLine]:
    """Returns the modules of one `-X importtime` report, in the order they finished."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith(PREFIX):
            continue
        self_part, cumulative_part, name_part = line[len(PREFIX) :].split("|", 2)
        if not self_part.strip().isdigit():
            continue  # the header: "self [us] | cumulative | imported package"
        name = name_part.rstrip()
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((name.strip(), depth, int(self_part), int(cumulative_part)))
    parents: list[str | None] = [None] * len(rows)
    waiting: dict[int, list[int]] = {}  # depth -> rows at that depth without a parent yet
    for index, (name, depth, _, _) in enumerate(rows):
        for child in waiting.pop(depth + 1, []):
            parents[child] = name
        waiting.setdefault(depth, []).append(index)
    return [
        ImportLine(name, depth, self_us, cumulative_us, parents[index])
        for index, (name, depth, self_us, cumulative_us) in enumerate(rows)
    ]


def import_report(
    statement: str, env: Mapping[str, str], python: str = sys.executable
) -> list[ImportLine]:
    """Returns `-X importtime`'s report of `python -c statement` in a fresh interpreter
    with environment `env`."""
    done = subprocess.run(
        [python, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=60,
        check=True,
    )
    return parse_importtime(done.stderr)


def statement_lines(report: list[ImportLine], startup: Iterable[str]) -> list[ImportLine]:
    """Returns the lines of the statement's imports: all but those of the interpreter's own
    start-up (`startup`: the modules `python -c pass` imports)."""
    skip = set(startup)
    keep: list[ImportLine] = []
    top: list[ImportLine] = []
    for line in report:
        top.append(line)
        if line.depth == 0:
            if line.name not in skip:
                keep.extend(top)
            top = []
    return keep


def total_us(lines: list[ImportLine]) -> int:
    """Returns the time of all the imports in `lines` (the sum of their top-level lines)."""
    return sum(line.cumulative_us for line in lines if line.depth == 0)


def under(lines: list[ImportLine], root: str) -> list[ImportLine]:
    """Returns the lines below `root` (its import's own imports, at any depth)."""
    index = next((i for i, line in enumerate(lines) if line.name == root), None)
    if index is None:
        return []
    depth = lines[index].depth
    below: list[ImportLine] = []
    for line in reversed(lines[:index]):
        if line.depth <= depth:
            break
        below.append(line)
    below.reverse()
    return below


def self_by_package(lines: Iterable[ImportLine]) -> Mapping[str, int]:
    """Returns the self time of `lines` summed by top-level package, largest first."""
    sums: dict[str, int] = {}
    for line in lines:
        package = line.name.split(".", 1)[0]
        sums[package] = sums.get(package, 0) + line.self_us
    return dict(sorted(sums.items(), key=lambda item: -item[1]))
