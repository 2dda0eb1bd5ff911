"""`vlmconsole status` against the real vLLM server, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import pytest

from tests.support.cli import program, workdir
from tests.support.real_vllm import MAX_MODEL_LEN, RealVllmServer
from tests.support.turns import send_growing_conversation
from vlmconsole.views.formatting import NOT_REPORTED

pytestmark = pytest.mark.e2e


def status(
    server: RealVllmServer, *args: str, key: str | None = "env"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_API_KEY", "OPENAI_API_KEY")}
    if key == "env" and server.api_key:
        env["VLLM_API_KEY"] = server.api_key
    return subprocess.run(
        [*program(), "status", f":{server.port}", *args],
        cwd=workdir(),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def status_json(server: RealVllmServer) -> dict[str, Any]:
    done = status(server, "--json", "--sample", "0")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_status_json_counts_what_was_sent(vllm_server: RealVllmServer) -> None:
    before = status_json(vllm_server)["scopes"][0]
    sent = send_growing_conversation(vllm_server, turns=3, seed=31)
    after_all = status_json(vllm_server)
    after = after_all["scopes"][0]

    def delta(key: str) -> float:
        return float(after[key] - before[key])

    assert delta("prompt_tokens_total") == sum(t.prompt_tokens for t in sent)
    assert delta("generation_tokens_total") == sum(t.completion_tokens for t in sent)
    assert delta("prefix_cache_queries_total") == sum(t.prompt_tokens for t in sent)
    assert delta("prefix_cache_hits_total") == sum(t.cached_tokens for t in sent)
    assert sum(t.cached_tokens for t in sent) > 0, "a growing conversation hits the prefix cache"
    assert delta("mm_cache_queries_total") == 1 + 2 + 3, "every turn re-sends every image"
    assert after["latency"]["ttft"]["count"] - before["latency"]["ttft"]["count"] == 3
    assert after["not_reported"] == []
    server = after_all["server"]
    assert server["version"] == "0.32.0" and server["healthy"] is True
    assert server["models"][0]["max_model_len"] == MAX_MODEL_LEN
    # the server started within this test session (its fixture starts it)
    assert 0 < after["uptime_s"] < 3_600


def test_status_table_shows_identity_and_activity(vllm_server: RealVllmServer) -> None:
    done = status(vllm_server, "--sample", "0.5")
    assert done.returncode == 0, done.stderr
    for expected in (
        "0.32.0",
        "healthy",
        vllm_server.model,
        "32,768",
        "KV cache",
        "prefix cache",
        "time to first token",
    ):
        assert expected in done.stdout
    uptime = next(line for line in done.stdout.splitlines() if line.startswith("uptime"))
    assert uptime.split(None, 1)[1].strip() != NOT_REPORTED, uptime
    assert vllm_server.api_key and vllm_server.api_key not in done.stdout + done.stderr


def test_status_without_the_key_says_the_server_wants_one(vllm_server: RealVllmServer) -> None:
    done = status(vllm_server, "--sample", "0", key=None)
    assert done.returncode == 2
    assert "401" in done.stderr and "VLLM_API_KEY" in done.stderr


def test_status_with_a_wrong_key_says_it_was_refused(vllm_server: RealVllmServer) -> None:
    done = status(vllm_server, "--sample", "0", "--api-key", "sk-wrong", key=None)
    assert done.returncode == 2
    assert "refused" in done.stderr and "sk-wrong" not in done.stderr + done.stdout


def test_status_watch_gives_rates_from_the_second_tick(vllm_server: RealVllmServer) -> None:
    done = status(vllm_server, "--json", "--watch", "0.5", "--count", "3")
    assert done.returncode == 0, done.stderr
    ticks = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(ticks) == 3
    assert ticks[0]["scopes"][0]["prompt_tokens_per_s"] is None
    assert ticks[2]["scopes"][0]["prompt_tokens_per_s"] == 0.0
    assert ticks[2]["scopes"][0]["interval_s"] > 0


def test_sigterm_ends_a_watch_between_lines(vllm_server: RealVllmServer) -> None:
    """Scripts stop a watch with SIGTERM: every line printed is whole, and it exits 0."""
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_API_KEY", "OPENAI_API_KEY")}
    env["VLLM_API_KEY"] = vllm_server.api_key or ""
    watch = subprocess.Popen(
        [*program(), "status", f":{vllm_server.port}", "--json", "--watch", "0.05"],
        cwd=workdir(),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert watch.stdout is not None
    lines = [watch.stdout.readline() for _ in range(20)]
    time.sleep(0.02)  # stop it in the middle of its ticks, not right after one
    watch.terminate()
    out, err = watch.communicate(timeout=30)
    lines += out.splitlines()
    assert all(json.loads(line)["scopes"] for line in lines if line.strip())
    assert watch.returncode == 0, err
    assert "Traceback" not in err
