"""Settings: one schema from the file, the environment and the flags, every problem at once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import (
    KEYS,
    ApiKey,
    Settings,
    SettingsError,
    load_settings,
)


def env_with(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"VLMCONSOLE_CONFIG": str(tmp_path / "config.toml"), **values}


def write_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def values(settings: Settings) -> dict[str, object]:
    """Returns the settings' values (== on Settings also compares where each came from)."""
    return {key: getattr(settings, key) for key in KEYS}


def problems_of(tmp_path: Path, **flags: object) -> list[str]:
    """Returns the problems load_settings reports with the file and the VLMCONSOLE_ env."""
    env = {k: v for k, v in flags.items() if k.isupper() and isinstance(v, str)}
    given = {k: v for k, v in flags.items() if not k.isupper()}
    with pytest.raises(SettingsError) as raised:
        load_settings(given, env_with(tmp_path, **env))
    assert str(raised.value) == "\n".join(raised.value.problems)
    return list(raised.value.problems)


def test_flags_beat_env_beat_file_beat_defaults_key_by_key(tmp_path: Path) -> None:
    write_file(
        tmp_path,
        'timeout_s = 9\nmax_tokens = 100\ntransport = "url"\npolicy = "slide:4"\n'
        'theme = "vlm-light"\n',
    )
    env = env_with(tmp_path, VLMCONSOLE_MAX_TOKENS="200", VLMCONSOLE_TRANSPORT="file")
    settings = load_settings({"transport": "base64", "theme": None}, env)
    assert settings.timeout_s == 9.0  # file
    assert settings.max_tokens == 200  # env over file
    assert settings.transport == "base64"  # flag over env over file
    assert settings.theme == "vlm-light"  # a flag not given (None) leaves the file's
    assert settings.policy == WindowPolicy("slide", 4)
    assert settings.scrape_interval_s == 1.0 and settings.preview == "auto"  # defaults
    assert settings.source_of("max_tokens") == "VLMCONSOLE_MAX_TOKENS"
    assert settings.source_of("transport") == "--transport"
    assert settings.source_of("timeout_s") == f"file {tmp_path / 'config.toml'}"
    assert settings.source_of("preview") == "default"


def test_api_key_from_flag_then_each_variable_then_file(tmp_path: Path) -> None:
    write_file(tmp_path, 'api_key = "from-file"\n')
    env = env_with(
        tmp_path,
        VLMCONSOLE_API_KEY="from-ours",
        VLLM_API_KEY="from-vllm-env",
        OPENAI_API_KEY="from-openai-env",
    )
    settings = load_settings({"api_key": "from-flag"}, env)
    assert settings.api_key == ApiKey("from-flag") and settings.api_key_source == "--api-key"
    for name, value in (
        ("VLMCONSOLE_API_KEY", "from-ours"),
        ("VLLM_API_KEY", "from-vllm-env"),
        ("OPENAI_API_KEY", "from-openai-env"),
    ):
        settings = load_settings(env=env)
        assert settings.api_key == ApiKey(value) and settings.api_key_source == name
        del env[name]
    settings = load_settings(env=env)
    assert settings.api_key == ApiKey("from-file")
    assert settings.api_key_source == f"file {tmp_path / 'config.toml'}"


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings(env=env_with(tmp_path))
    assert values(settings) == values(Settings())
    assert settings.api_key is None and settings.api_key_source == "none"
    assert (settings.timeout_s, settings.scrape_interval_s, settings.max_tokens) == (5.0, 1.0, 64)
    assert (settings.transport, settings.preview, settings.theme) == ("base64", "auto", "vlm-dark")
    assert settings.policy == WindowPolicy() and settings.session_dir is None


def test_the_file_is_found_under_xdg_config_home(tmp_path: Path) -> None:
    (tmp_path / "vlmconsole").mkdir()
    (tmp_path / "vlmconsole" / "config.toml").write_text("max_tokens = 7\n")
    assert load_settings(env={"XDG_CONFIG_HOME": str(tmp_path)}).max_tokens == 7


def test_every_console_option_is_settable_in_file_env_and_flag(tmp_path: Path) -> None:
    given = {
        "api_key": "sk-1",
        "timeout_s": "2.5",
        "scrape_interval_s": "0.5",
        "theme": "vlm-contrast",
        "policy": "chunk:6",
        "transport": "file",
        "max_tokens": "12",
        "preview": "halfcell",
        "images_dir": str(tmp_path / "shots"),
        "model": "m",
        "session_dir": str(tmp_path / "session"),
        "text": "And now?",
    }
    assert set(given) == set(KEYS)
    from_env = load_settings(
        env=env_with(
            tmp_path,
            VLLM_API_KEY="sk-1",
            **{f"VLMCONSOLE_{k.upper()}": v for k, v in given.items()},
        )
    )
    from_flags = load_settings(given, env_with(tmp_path))
    write_file(tmp_path, "".join(f"{k} = {v!r}\n" for k, v in given.items()))
    from_file = load_settings(env=env_with(tmp_path))
    assert values(from_env) == values(from_flags) == values(from_file)
    assert from_file.policy == WindowPolicy("chunk", 6) and from_file.max_tokens == 12
    assert from_file.images_dir == tmp_path / "shots" and from_file.text == "And now?"


def test_an_unknown_key_in_the_file_is_refused_with_the_nearest_name(tmp_path: Path) -> None:
    path = write_file(tmp_path, "scrape_intervall_s = 2\ncolour = 'red'\n")
    assert problems_of(tmp_path) == [
        f"unknown setting 'scrape_intervall_s' in {path}: did you mean 'scrape_interval_s'?",
        f"unknown setting 'colour' in {path} (settings: {', '.join(KEYS)})",
    ]


def test_an_unknown_vlmconsole_variable_is_refused_with_the_nearest_name(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, VLMCONSOLE_TIMEOUT="3", VLMCONSOLE_MAXTOKENS="3")
    assert problems == [
        "unknown setting 'VLMCONSOLE_MAXTOKENS' in the environment: "
        "did you mean 'VLMCONSOLE_MAX_TOKENS'?",
        "unknown setting 'VLMCONSOLE_TIMEOUT' in the environment: "
        "did you mean 'VLMCONSOLE_TIMEOUT_S'?",
    ]


def test_variables_read_elsewhere_are_not_settings_and_left_alone(tmp_path: Path) -> None:
    env = env_with(
        tmp_path,
        VLMCONSOLE_CACHE="/c",
        VLMCONSOLE_THEMES="/t",
        VLMCONSOLE_DOCKER_IMAGE="i",
        VLMCONSOLE_DOCKERD_LOG="/l",
        VLMCONSOLE_VLLM_STARTUP_TIMEOUT_S="420",
        XDG_CONFIG_HOME="/x",
        OTHER_TIMEOUT_S="x",
    )
    assert values(load_settings(env=env)) == values(Settings())


def test_every_problem_is_reported_at_once_each_naming_where(tmp_path: Path) -> None:
    path = write_file(tmp_path, 'timeout_s = -1\ntransport = "ftp"\nmax_tokns = 3\n')
    problems = problems_of(
        tmp_path, VLMCONSOLE_SCRAPE_INTERVAL_S="soon", VLMCONSOLE_TEXT=" ", policy="slide:0"
    )
    assert problems == [
        f"unknown setting 'max_tokns' in {path}: did you mean 'max_tokens'?",
        f"timeout_s in {path}: must be more than 0, not -1",
        f"transport in {path}: must be 'base64', 'url', 'file' or 'uuid', not 'ftp'",
        "VLMCONSOLE_SCRAPE_INTERVAL_S: 'soon' is not a number",
        "VLMCONSOLE_TEXT: must not be empty",
        "--policy: 'slide:0' is not a window policy: use none, slide:N or chunk:N",
    ]


def test_a_bad_file_value_is_reported_even_when_a_flag_overrides_it(tmp_path: Path) -> None:
    path = write_file(tmp_path, "max_tokens = 0\n")
    assert problems_of(tmp_path, max_tokens=8) == [
        f"max_tokens in {path}: must be more than 0, not 0"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'transport = "ftp"',
            "transport in {path}: must be 'base64', 'url', 'file' or 'uuid', not 'ftp'",
        ),
        (
            'preview = "kitty"',
            "preview in {path}: must be 'auto', 'tgp', 'sixel', 'halfcell' or 'none', not 'kitty'",
        ),
        ("transport = 1", "transport in {path}: must be 'base64', 'url', 'file' or 'uuid', not 1"),
    ],
)
def test_a_value_outside_a_closed_set_names_the_set(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = write_file(tmp_path, line + "\n")
    assert problems_of(tmp_path) == [expected.format(path=path)]


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("none", WindowPolicy()),
        ("slide:3", WindowPolicy("slide", 3)),
        ("CHUNK:8", WindowPolicy("chunk", 8)),
    ],
)
def test_a_policy_is_read_by_window_policy(tmp_path: Path, text: str, policy: WindowPolicy) -> None:
    assert load_settings(env=env_with(tmp_path, VLMCONSOLE_POLICY=text)).policy == policy


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("slide", "'slide' is not a window policy: use none, slide:N or chunk:N"),
        ("chunk:1", "chunk:N needs N of 2 or more"),
        ("3", "'3' is not a window policy"),
    ],
)
def test_a_bad_policy_is_refused_with_window_policys_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = write_file(tmp_path, f"policy = {text!r}\n")
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"policy in {path}: {reason}")
    path.unlink()
    (problem,) = problems_of(tmp_path, VLMCONSOLE_POLICY=text)
    assert problem.startswith(f"VLMCONSOLE_POLICY: {reason}")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0", "must be more than 0, not '0'"),
        ("-2", "must be more than 0, not '-2'"),
        ("inf", "'inf' is not a finite number"),
        ("nan", "must be more than 0, not 'nan'"),
        ("soon", "'soon' is not a number"),
    ],
)
def test_seconds_must_be_positive_finite_numbers(tmp_path: Path, value: str, reason: str) -> None:
    assert problems_of(tmp_path, VLMCONSOLE_TIMEOUT_S=value) == [f"VLMCONSOLE_TIMEOUT_S: {reason}"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("max_tokens = 0", "must be more than 0, not 0"),
        ("max_tokens = 2.5", "2.5 is not a whole number"),
        ("max_tokens = true", "must be a number, not true"),
        ("timeout_s = false", "must be a number, not false"),
        ("model = 3", "must be text, not 3"),
        ("images_dir = ''", "must not be empty"),
    ],
)
def test_file_values_of_the_wrong_kind_are_named(tmp_path: Path, line: str, reason: str) -> None:
    path = write_file(tmp_path, line + "\n")
    key = line.split(" ")[0]
    assert problems_of(tmp_path) == [f"{key} in {path}: {reason}"]


def test_a_broken_file_is_named_and_the_environment_still_checked(tmp_path: Path) -> None:
    path = write_file(tmp_path, "timeout_s = [")
    problems = problems_of(tmp_path, VLMCONSOLE_MAX_TOKENS="many")
    assert len(problems) == 2
    assert problems[0].startswith(f"settings file {path}: ")
    assert problems[1] == "VLMCONSOLE_MAX_TOKENS: 'many' is not a whole number"


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    write_file(tmp_path, "max_tokens = 9\n")
    env = env_with(tmp_path, VLMCONSOLE_MAX_TOKENS="", VLLM_API_KEY="")
    settings = load_settings(env=env)
    assert settings.max_tokens == 9 and settings.api_key is None


def test_home_in_a_folder_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_file(tmp_path, 'images_dir = "~/shots"\n')
    assert load_settings(env=env_with(tmp_path)).images_dir == tmp_path / "shots"


def test_outside_text_in_the_file_cannot_reach_the_terminal(tmp_path: Path) -> None:
    write_file(tmp_path, 'transport = "\\u001b]0;owned\\u0007x"\n"\\u001b[31mkey" = 1\n')
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    for problem in problems:
        assert "\x1b" not in problem and "\x07" not in problem and "\n" not in problem


def test_the_api_key_never_shows_itself(tmp_path: Path) -> None:
    secret = "sk-very-secret"
    settings = load_settings({"api_key": secret}, env_with(tmp_path))
    for shown in (
        str(settings),
        repr(settings),
        str(settings.api_key),
        f"{settings.api_key}",
        json.dumps(dataclasses.asdict(settings), default=repr),
        str(dataclasses.asdict(settings)),
    ):
        assert secret not in shown
    assert "ApiKey('***')" in repr(settings)
    assert settings.api_key is not None and settings.api_key.reveal() == secret
    write_file(tmp_path, f"api_key = [{secret!r}]\n")
    (problem,) = problems_of(tmp_path)
    assert secret not in problem and problem.startswith("api_key in ")
    assert "the value is not shown" in problem


def test_a_caller_naming_a_setting_that_does_not_exist_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="interval"):
        load_settings({"interval": 2.0}, env_with(tmp_path))
