"""The push bar: Tab completes names with spaces and quotes so Enter sends one path;
after a push single keys work again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.console_host import ASSETS, console_for, until
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.ui.widgets.push_bar import PushBar, complete_path, parse_push

NAME = "name with spaces é.png"


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "shots"
    (folder / "sub dir").mkdir(parents=True)
    for name in (NAME, "it's.png", 'say "hi".png'):
        (folder / name).write_bytes((ASSETS / "screen-01.png").read_bytes())
    (folder / "notes.txt").write_text("not offered")
    return folder


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("na", "name\\ with\\ spaces\\ é.png"),
        ("name\\ wi", "name\\ with\\ spaces\\ é.png"),
        ("'na", "/name with spaces é.png'"),
        ('"na', '/name with spaces é.png"'),
        ("it", "it\\'s.png"),
        ("'it", "/it'\\''s.png'"),
        ('"sa', '/say \\"hi\\".png"'),
        ("su", "sub\\ dir/"),
    ],
)
def test_completion_escapes_what_it_inserts_and_enter_reads_one_path(
    shots: Path, typed: str, expected: str
) -> None:
    prefix = f"{shots}/"
    value = typed[0] + prefix + typed[1:] if typed[0] in "'\"" else prefix + typed
    completed = complete_path(value)
    assert completed is not None and completed.startswith(value)
    assert completed.endswith(expected)
    request = parse_push(completed + " what changed?")
    assert request.path is not None and request.path.parent in (shots, shots / "sub dir")
    if not expected.endswith("/"):
        assert request.path.is_file() and request.text == "what changed?"


def test_no_completion_after_the_first_word_or_for_other_files(shots: Path) -> None:
    assert complete_path(f"{shots}/{NAME.replace(' ', chr(92) + ' ')} wor") is None
    assert complete_path(f"{shots}/no") is None  # notes.txt is not an image
    assert complete_path("   ") is None


def test_quoted_and_escaped_paths_are_read_whole(shots: Path) -> None:
    for written in (
        f"'{shots}/{NAME}'",
        f'"{shots}/{NAME}"',
        f"{shots}/" + NAME.replace(" ", "\\ "),
    ):
        request = parse_push(f"{written} look")
        assert request.path == shots / NAME and request.text == "look", written
    unclosed = parse_push(f"'{shots}/{NAME}")
    assert unclosed.path == shots / NAME


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(speed=50)) as server:
        yield server


async def test_tab_then_enter_pushes_a_name_with_spaces_and_keys_work_after(
    sim: SimServer, shots: Path, tmp_path: Path
) -> None:
    app = console_for(sim.base_url, tmp_path / "session", images=None)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.console_screen.chat.engine is not None)
        await pilot.press("p", *f"{shots}/na")
        bar = app.query_one(PushBar)
        await until(pilot, lambda: bool(bar._suggestion))
        await pilot.press("tab", "enter")
        await until(pilot, lambda: len(app.console_screen.chat.records) == 1)
        assert app.console_screen.chat.records[0].ok, app.console_screen.chat.records[0].error
        assert app.console_screen.chat.records[0].new_images[0].label == str(shots / NAME)
        assert app.focused is None, "the bar lets go after a push"
        await pilot.press("p")
        assert app.focused is bar and bar.value == "", "p opens the bar, it is not typed"
