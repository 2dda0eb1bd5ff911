"""Settings precedence, and an API key that never shows itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmconsole.settings import ApiKey, SettingsError, load_settings


def env_with(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"VLMCONSOLE_CONFIG": str(tmp_path / "config.toml"), **values}


def test_flag_beats_env_beats_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('api_key = "from-file"\ntimeout_s = 9\n')
    env = env_with(tmp_path, VLLM_API_KEY="from-vllm-env", OPENAI_API_KEY="from-openai-env")
    assert load_settings(api_key="from-flag", env=env).api_key == ApiKey("from-flag")
    assert load_settings(env=env).api_key_source == "VLLM_API_KEY"
    del env["VLLM_API_KEY"]
    assert load_settings(env=env).api_key == ApiKey("from-openai-env")
    del env["OPENAI_API_KEY"]
    settings = load_settings(env=env)
    assert settings.api_key == ApiKey("from-file") and settings.timeout_s == 9


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings(env=env_with(tmp_path))
    assert settings.api_key is None and settings.timeout_s == 5.0


def test_api_key_is_masked_everywhere(tmp_path: Path) -> None:
    settings = load_settings(api_key="sk-very-secret", env=env_with(tmp_path))
    for shown in (str(settings), repr(settings), str(settings.api_key), f"{settings.api_key}"):
        assert "sk-very-secret" not in shown
    assert settings.api_key is not None and settings.api_key.reveal() == "sk-very-secret"


def test_broken_file_and_bad_numbers_are_named(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("timeout_s = [")
    with pytest.raises(SettingsError, match="config.toml"):
        load_settings(env=env_with(tmp_path))
    (tmp_path / "config.toml").write_text("")
    with pytest.raises(SettingsError, match="timeout_s must be a number"):
        load_settings(env=env_with(tmp_path, VLMCONSOLE_TIMEOUT_S="soon"))
