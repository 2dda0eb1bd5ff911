"""What a vLLM server runs with: its launch settings, each with where it was read.

Four places tell, and each setting takes its value from the first that has it:
`/server_info?config_format=json` (the whole effective config; only with
`VLLM_SERVER_DEV_MODE=1`), `vllm:cache_config_info`'s labels (the effective KV-cache
config), `/v1/models` (the effective context length), and the command line the
server was started with (the container's, from Docker inspect, or the local
process's). A command line says what was asked for; a flag missing from it is at
vLLM's default. Pure: the sources hand in what they read.

The API key is never kept: `--api-key` and its value are replaced on the command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REDACTED = "***"
SECRET_FLAGS = frozenset({"--api-key", "--hf-token", "--ssl-keyfile-password"})
"""Flags whose value is a secret: kept as REDACTED."""


@dataclass(frozen=True, slots=True)
class Knob:
    """One launch setting: its name in the user's words, its flag, and where it is found."""

    label: str
    flag: str
    config_path: tuple[str, ...] = ()
    """Its place in /server_info's vllm_config."""
    cache_label: str | None = None
    """Its label in vllm:cache_config_info."""
    default: str = "vLLM's default"
    """What a known command line without the flag means."""


KNOBS: tuple[Knob, ...] = (
    Knob("max model length", "--max-model-len", ("model_config", "max_model_len")),
    Knob("max sequences", "--max-num-seqs", ("scheduler_config", "max_num_seqs")),
    Knob(
        "max batched tokens",
        "--max-num-batched-tokens",
        ("scheduler_config", "max_num_batched_tokens"),
    ),
    Knob(
        "chunked prefill",
        "--enable-chunked-prefill",
        ("scheduler_config", "enable_chunked_prefill"),
    ),
    Knob(
        "prefix caching",
        "--enable-prefix-caching",
        ("cache_config", "enable_prefix_caching"),
        "enable_prefix_caching",
    ),
    Knob("KV block size", "--block-size", ("cache_config", "block_size"), "block_size"),
    Knob(
        "GPU memory share",
        "--gpu-memory-utilization",
        ("cache_config", "gpu_memory_utilization"),
        "gpu_memory_utilization",
    ),
    Knob(
        "KV cache memory",
        "--kv-cache-memory-bytes",
        ("cache_config", "kv_cache_memory_bytes"),
        "kv_cache_memory_bytes",
    ),
    Knob(
        "KV blocks override",
        "--num-gpu-blocks-override",
        ("cache_config", "num_gpu_blocks_override"),
        "num_gpu_blocks_override",
    ),
    Knob("KV cache size", "(derived)", (), "kv_cache_size_tokens"),
    Knob(
        "images per prompt",
        "--limit-mm-per-prompt",
        ("model_config", "multimodal_config", "limit_per_prompt"),
    ),
    Knob(
        "processor cache",
        "--mm-processor-cache-gb",
        ("model_config", "multimodal_config", "mm_processor_cache_gb"),
    ),
    Knob("cached-token counts", "--enable-prompt-tokens-details", default="off"),
    Knob("per-request metrics", "--enable-per-request-metrics", default="off"),
    Knob("API key", "--api-key", default="not set"),
)
"""The settings the console shows, in order; the findings' advice names their values."""


@dataclass(frozen=True, slots=True)
class LaunchSetting:
    """One setting's value and where it was read (None: no source told)."""

    label: str
    flag: str
    value: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class LaunchConfig:
    """The server's launch settings, and the command line when one was read."""

    settings: tuple[LaunchSetting, ...]
    command: tuple[str, ...] = ()
    """The command line with secrets redacted; empty when not known."""
    command_source: str | None = None
    """Where the command line came from, such as `docker inspect vllm-qwen`."""

    def value(self, flag: str) -> str | None:
        """Returns the setting's value by its flag, or None when not known."""
        return next((s.value for s in self.settings if s.flag == flag), None)

    def now(self, flag: str) -> str:
        """Returns ` (now VALUE)` for advice naming `flag`, or "" when not known."""
        value = self.value(flag)
        return f" (now {value})" if value is not None else ""

    @property
    def known(self) -> list[LaunchSetting]:
        """Returns the settings some source told."""
        return [s for s in self.settings if s.value is not None]


def redact(argv: Sequence[str]) -> tuple[str, ...]:
    """Returns the command line with every secret flag's value replaced."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        flag, eq, _value = arg.partition("=")
        if flag in SECRET_FLAGS:
            if eq:
                out.append(f"{flag}={REDACTED}")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(arg)
    return tuple(out)


def command_line_flags(argv: Sequence[str]) -> dict[str, str]:
    """Returns the flags of a vLLM command line: `--flag value`, `--flag=value`, a bare
    `--enable-x` as "on" and `--no-enable-x` as "--enable-x": "off". Later ones win,
    as in vLLM's own parser. Secret values are never returned."""
    flags: dict[str, str] = {}
    args = list(argv)
    for n, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, eq, value = arg.partition("=")
        if name.startswith("--no-"):
            flags["--" + name.removeprefix("--no-")] = "off"
            continue
        if not eq:
            following = args[n + 1] if n + 1 < len(args) else None
            value = following if following is not None and not following.startswith("--") else ""
        if name in SECRET_FLAGS:
            value = "set"
        flags[name] = value if value else "on"
    return flags


def _dig(tree: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(tree, Mapping) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _text(value: Any) -> str | None:
    if value is None or value == "None":
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value in ("True", "False"):
        return "on" if value == "True" else "off"
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in value.items()) or None
    return str(value)


def launch_config(
    *,
    server_config: Mapping[str, Any] | None = None,
    cache_labels: Mapping[str, str] | None = None,
    max_model_len: int | None = None,
    command: Sequence[str] = (),
    command_source: str | None = None,
) -> LaunchConfig:
    """Returns the settings, each from the first source that has it (see the module)."""
    flags = command_line_flags(command)
    settings = []
    for knob in KNOBS:
        found: tuple[str | None, str | None] = (None, None)
        if server_config is not None and knob.config_path:
            found = (_text(_dig(server_config, knob.config_path)), "/server_info")
        if found[0] is None and cache_labels is not None and knob.cache_label:
            found = (_text(cache_labels.get(knob.cache_label)), "cache_config_info")
        if found[0] is None and knob.flag == "--max-model-len" and max_model_len:
            found = (str(max_model_len), "/v1/models")
        if found[0] is None and knob.flag in flags:
            found = (flags[knob.flag], "command line")
        if found[0] is None and command and knob.flag.startswith("--"):
            found = (knob.default, "command line")
        value, source = found
        settings.append(LaunchSetting(knob.label, knob.flag, value, source if value else None))
    return LaunchConfig(tuple(settings), redact(command), command_source if command else None)
