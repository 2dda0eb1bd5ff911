"""Every argument is checked before any output or file: one line on stderr, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmconsole.cli import main

CASES = [
    (["status", "256.1.1.1:80"], "'256.1.1.1:80': '256.1.1.1' is not a host name or IP address"),
    (["status", "http://[zz]:80"], "'http://[zz]:80' is not a usable address"),
    (
        ["status", "http://a b:80"],
        "'http://a b:80' is not a usable address: ' ' cannot be in a URL",
    ),
    (["status", ":8000", "--watch", "0"], "argument --watch: must be more than 0 s, not 0"),
    (["status", ":8000", "--count", "-3"], "argument --count: must be 1 or more, not -3"),
    (["status", ":8000", "--timeout", "nan"], "argument --timeout: 'nan' is not a finite number"),
    (["bench", ":8000", "--synthetic", "0x0"], "'0x0': each side must be 1 to 16384 pixels"),
    (["bench", ":8000", "--synthetic", "big"], "'big' is not a size: use WxH, such as 1280x720"),
    (["bench", ":8000", "--synthetic", "64x64", "--text", "{bad}"], "{bad} is not a placeholder"),
    (["bench", ":8000", "--synthetic", "64x64", "--text", "x{"], "Single '{' encountered"),
    (["bench", ":8000", "--synthetic", "64x64", "--turns", "0"], "--turns: must be 1 or more"),
    (["bench", ":8000", "--synthetic", "64x64", "--stall-timeout", "0"], "more than 0 s, not 0"),
    (["bench", ":8000", "--synthetic", "64x64", "--stall-timeout", "-5"], "more than 0 s, not -5"),
    (["bench", ":8000", "--synthetic", "64x64", "--max-tokens", "x"], "'x' is not a whole number"),
    (["attach", ":8000", "--interval", "0"], "argument --interval: must be more than 0 s"),
    (["demo", "--port", "70000"], "argument --port: must be a port from 1 to 65535"),
    (["demo", "--speed", "0"], "argument --speed: must be more than 0, not 0"),
    (["bench", ":8000"], "one of the arguments --images --synthetic is required"),
    (["nonsense"], "invalid choice: 'nonsense'"),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_argument_is_one_line_and_exit_code_2(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # any file made would land here
    try:
        code = main(argv + (["--out", str(tmp_path / "out")] if argv[0] == "bench" else []))
    except SystemExit as exit_info:
        code = exit_info.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and expected in err, err
    assert err.startswith("vlmconsole") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "nothing was made"
