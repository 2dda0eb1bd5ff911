"""Exporting a session writes the three files into a new folder and no credential."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.export.builders import session
from vlmconsole.export import ExportError, export_all, write_csv
from vlmconsole.export.safe import safe_meta


def test_export_all_writes_four_files_into_a_new_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "run-1"
    paths = export_all(session(), folder, "Screenshots", {"server": "http://gpu-box:8000"})
    assert paths == {
        "csv": folder / "turns.csv",
        "jsonl": folder / "turns.jsonl",
        "html": folder / "report.html",
        "summary": folder / "summary.json",
    }
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths.values())
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["report.html", "summary.json", "turns.csv", "turns.jsonl"]


def test_no_file_holds_a_credential_from_meta(tmp_path: Path) -> None:
    meta = {"server": "http://gpu-box:8000", "api_key": "sk-live-123", "token": "tok-456"}
    paths = export_all(session(), tmp_path, "t", meta)
    for path in paths.values():
        text = path.read_text(encoding="utf-8")
        assert "sk-live-123" not in text and "tok-456" not in text


def test_safe_meta_drops_keys_naming_credentials() -> None:
    meta = {"Server": "s", "API_KEY": "k", "keyring": "k", "Bearer-Token": "t", "Secret": "x"}
    assert safe_meta(meta) == {"Server": "s"}


def test_an_unwritable_path_raises_a_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ExportError, match="cannot write"):
        write_csv(session(), blocker / "turns.csv")
    assert blocker.read_text(encoding="utf-8") == "not a folder"
