"""The launch settings: each from the first place that tells, the command line parsed as
vLLM's parser reads it, and no API key kept anywhere."""

from __future__ import annotations

from vlmconsole.model.launch_config import command_line_flags, launch_config, redact

ARGV = (
    "python3",
    "-m",
    "vllm.entrypoints.openai.api_server",
    "--model",
    "/models/tiny",
    "--max-model-len=4096",
    "--no-enable-prefix-caching",
    "--enable-prompt-tokens-details",
    "--limit-mm-per-prompt",
    '{"image": 64}',
    "--api-key",
    "sk-live-123",
    "--max-model-len",
    "8192",
)


def test_the_command_line_as_vllm_reads_it_with_the_key_hidden() -> None:
    flags = command_line_flags(ARGV)
    assert flags["--max-model-len"] == "8192", "the later one wins"
    assert flags["--enable-prefix-caching"] == "off"
    assert flags["--enable-prompt-tokens-details"] == "on"
    assert flags["--limit-mm-per-prompt"] == '{"image": 64}'
    assert flags["--api-key"] == "set"
    assert "sk-live-123" not in redact(ARGV) and "***" in redact(ARGV)
    assert redact(["--api-key=sk-1"]) == ("--api-key=***",)


def test_each_setting_from_the_first_place_that_tells() -> None:
    labels = {"block_size": "128", "enable_prefix_caching": "False", "kv_cache_size_tokens": "5120"}
    config = {"scheduler_config": {"max_num_seqs": 256}, "model_config": {"max_model_len": 4096}}
    launch = launch_config(
        server_config=config,
        cache_labels=labels,
        max_model_len=4096,
        command=ARGV,
        command_source="process 42",
    )
    by_flag = {s.flag: (s.value, s.source) for s in launch.settings}
    assert by_flag["--max-model-len"] == ("4096", "/server_info"), "the effective value"
    assert by_flag["--max-num-seqs"] == ("256", "/server_info")
    assert by_flag["--enable-prefix-caching"] == ("off", "cache_config_info")
    assert by_flag["--block-size"] == ("128", "cache_config_info")
    assert by_flag["(derived)"] == ("5120", "cache_config_info")
    assert by_flag["--enable-prompt-tokens-details"] == ("on", "command line")
    assert by_flag["--enable-per-request-metrics"] == ("off", "command line"), "its default"
    assert by_flag["--max-num-batched-tokens"] == ("vLLM's default", "command line")
    assert by_flag["--api-key"] == ("set", "command line")
    assert launch.now("--max-num-seqs") == " (now 256)"
    assert "sk-live-123" not in repr(launch)


def test_nothing_known_is_nothing_claimed() -> None:
    launch = launch_config()
    assert launch.known == [] and launch.command == () and launch.now("--max-num-seqs") == ""
    only_models = launch_config(max_model_len=32768)
    assert [(s.flag, s.value, s.source) for s in only_models.known] == [
        ("--max-model-len", "32768", "/v1/models")
    ]
