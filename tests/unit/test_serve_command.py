"""`vlmconsole serve`: what it serves, where, and what it never prints."""

from __future__ import annotations

import pytest

from vlmconsole.commands.serve import console_command, exposure_warning, is_loopback


@pytest.mark.parametrize(
    ("rest", "argv", "key"),
    [
        (["--", "attach", ":8000"], ["attach", ":8000"], None),
        (["attach", ":8000", "--api-key", "sk-1"], ["attach", ":8000"], "sk-1"),
        (
            ["--", "fleet", "--api-key=sk-2", "--prometheus", ":9090"],
            ["fleet", "--prometheus", ":9090"],
            "sk-2",
        ),
        (["attach", "--api-key"], ["attach"], ""),
    ],
)
def test_the_key_leaves_the_command_line(rest: list[str], argv: list[str], key: str | None) -> None:
    assert console_command(rest) == (argv, key)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("console.example", False),
    ],
)
def test_what_counts_as_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_wider_bind_names_what_it_exposes_in_one_line() -> None:
    said = exposure_warning("0.0.0.0", 8080)
    assert "\n" not in said and said.startswith("vlmconsole: serving on 0.0.0.0:8080")
    for exposed in ("no login", "API key", "container log", "session files", "--host 127.0.0.1"):
        assert exposed in said
