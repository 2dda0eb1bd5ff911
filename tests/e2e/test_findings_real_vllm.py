"""Findings produced for real: a vLLM started small (a 4,096-token context, no prefix
caching, 40 KV blocks) tells the console, `bench` and `status` what is wrong with it.

Each scenario is made by the server, not described to the rules: the context really
overflows at the turn the finding named, the server really runs without prefix
caching, and concurrent long replies really make it preempt.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cli import program, user_env, vlmconsole, workdir
from tests.support.real_vllm import RealVllmServer, free_port
from vlmconsole.model.finding_types import Conversation
from vlmconsole.model.findings import findings
from vlmconsole.sources.journal import read_journal

pytestmark = pytest.mark.e2e

CONTEXT = 4096
BLOCKS = 40
"""40 blocks of 128 tokens: 5,120 tokens of KV cache, more than one context, less than
four long replies at once."""
API_KEY = "sk-small-server"


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealVllmServer]:
    """A real vLLM started small: its own, so the session server stays healthy."""
    server = RealVllmServer(
        port=free_port(),
        log_path=tmp_path_factory.mktemp("small-vllm") / "server.log",
        api_key=API_KEY,
        extra_args=(
            "--max-model-len",
            str(CONTEXT),
            "--no-enable-prefix-caching",
            "--num-gpu-blocks-override",
            str(BLOCKS),
        ),
    )
    server.start()
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def cli(server: RealVllmServer, *args: str) -> subprocess.CompletedProcess[str]:
    return vlmconsole(*args, server=server)


def test_the_context_budget_names_the_turn_that_fails_before_it_fails(
    small_server: RealVllmServer, tmp_path: Path
) -> None:
    out = tmp_path / "bench"
    done = cli(
        small_server,
        "bench",
        f":{small_server.port}",
        "--synthetic",
        "1280x720",
        "--turns",
        "6",
        "--max-tokens",
        "8",
        "--out",
        str(out),
        "--json",
    )
    assert done.returncode == 1, "the turns past the context fail: " + done.stderr[-2000:]
    records = read_journal(out / "journal.jsonl").records
    failed = [r for r in records if not r.ok]
    assert failed, [r.prompt_tokens for r in records]
    fails_at = failed[0].turn
    assert "context" in (failed[0].error or ""), failed[0].error
    assert all(r.ok for r in records if r.turn < fails_at)
    assert fails_at >= 3, "two turns are needed to forecast"
    # what the console would have said after each turn before the failure
    for seen in range(2, fails_at):
        found = findings(Conversation(records[:seen], max_model_len=CONTEXT))
        (budget,) = [f for f in found if f.rule == "context-budget"]
        named = int(budget.title.split()[1])
        assert abs(named - fails_at) <= 1, (seen, budget.title, fails_at)
    document = json.loads(done.stdout)
    (run,) = document["runs"]
    (budget_json,) = [f for f in run["findings"] if f["rule"] == "context-budget"]
    assert budget_json["title"] == f"turn {fails_at} will not fit the 4,096-token context"
    assert (
        budget_json["severity"] == "warn"
        and "--max-model-len (now 4,096)" in (budget_json["advice"])
    )
    assert "will not fit the 4,096-token context" in done.stderr, "the text went to stderr"


def test_a_server_without_prefix_caching_is_told_by_status_and_bench(
    small_server: RealVllmServer, tmp_path: Path
) -> None:
    done = cli(small_server, "status", f":{small_server.port}", "--json", "--sample", "0")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    (scope, *_) = status["scopes"]
    rules = [f["rule"] for f in scope["findings"]]
    assert "prefix-caching-off" in rules, scope["findings"]
    # what it runs with: read off the local vLLM process and its own metrics
    launch = status["launch"]
    settings = launch["settings"]
    assert settings["--max-model-len"]["value"] == "4096"
    assert settings["--enable-prefix-caching"] == {
        "label": "prefix caching",
        "value": "off",
        "source": "cache_config_info",
    }
    assert settings["--num-gpu-blocks-override"]["value"] == str(BLOCKS)
    assert settings["--enable-prompt-tokens-details"]["value"] == "on"
    assert settings["--api-key"] == {"label": "API key", "value": "set", "source": "command line"}
    assert launch["command_source"].startswith("process ")
    assert "--no-enable-prefix-caching" in launch["command"]
    assert API_KEY not in done.stdout and "***" in launch["command"], "the key is never shown"
    text = cli(small_server, "status", f":{small_server.port}", "--sample", "0")
    assert "the server runs without prefix caching" in text.stdout
    assert "runs with:" in text.stdout and API_KEY not in text.stdout
    assert "--enable-prefix-caching" in text.stdout
    out = tmp_path / "bench"
    bench = cli(
        small_server,
        "bench",
        f":{small_server.port}",
        "--synthetic",
        "640x360",
        "--turns",
        "2",
        "--max-tokens",
        "4",
        "--out",
        str(out),
    )
    assert bench.returncode == 0, bench.stdout[-2000:] + bench.stderr[-2000:]
    assert "the server runs without prefix caching" in bench.stdout
    records = read_journal(out / "journal.jsonl").records
    assert [r.cached_tokens for r in records] == [0, 0], "the server really cached nothing"


def long_replies(server: RealVllmServer, words: int, tokens: int, n: int) -> None:
    """Asks for `n` replies of `tokens` tokens in one request: they are admitted together
    (separate requests can arrive apart, and vLLM then holds the later ones back rather
    than preempt)."""
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": "hello " * words}],
        "max_tokens": tokens,
        "n": n,
        "ignore_eos": True,
    }
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(timeout=300) as client:
        client.post(f"{server.base_url}/v1/chat/completions", json=body, headers=headers)


def test_a_kv_starved_server_that_preempts_gets_the_kv_finding(
    small_server: RealVllmServer,
) -> None:
    # four replies to one short prompt; at 3,000 tokens each any two of them outgrow the
    # 5,120-token cache, so vLLM preempts however many it runs at once (seen: two)
    load = [threading.Thread(target=long_replies, args=(small_server, 20, 3000, 4), daemon=True)]
    watch = cli_async(small_server, "status", f":{small_server.port}", "--json", "--watch", "1")
    assert watch.stdout is not None
    lines = [watch.stdout.readline()]  # its first observation: the watch is on
    # read the lines as they come, as a script would: a full pipe would block the watch
    # in the middle of a line for the minutes the load runs
    reader = threading.Thread(target=lambda: lines.extend(watch.stdout or ()), daemon=True)
    reader.start()
    try:
        for thread in load:
            thread.start()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and any(t.is_alive() for t in load):
            time.sleep(0.5)
        assert not any(t.is_alive() for t in load), "the load did not finish in 240 s"
        time.sleep(2.5)  # two more observations after the last preemption
    finally:
        watch.terminate()
        watch.wait(timeout=30)
        reader.join(timeout=30)
    stdout = "".join(lines)
    lines_read = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    # a scrape may time out while the server is this busy: that tick is an error line
    observations = [o for o in lines_read if "scopes" in o]
    assert all(o.get("error") for o in lines_read if "scopes" not in o)
    assert len(observations) >= 5, stdout[-2000:]
    # starved, vLLM either preempts or holds requests back for KV room (its scheduler
    # chooses; seen both on this CPU build): either is a KV finding with its numbers
    scopes = [o["scopes"][0] for o in observations]
    found = [(scope, f) for scope in scopes for f in scope["findings"]]
    preempted = [(sc, f) for sc, f in found if f["rule"] == "preemptions"]
    held = [(sc, f) for sc, f in found if f["rule"] == "waiting-for-kv"]
    assert preempted or held, [(sc["preemptions_total"], sc["waiting_by_reason"]) for sc in scopes]
    if preempted:
        scope, finding = preempted[0]
        rate = scope["preemptions_per_s"]
        assert rate > 0 and f"{rate:.2f} preemptions/s" in finding["evidence"]
        assert finding["severity"] == "bad" and "--max-num-seqs" in finding["advice"]
    else:
        scope, finding = held[0]
        waiting = scope["waiting_by_reason"]["capacity"]
        assert waiting > 0 and f"{{reason=capacity}} {waiting:.0f}" in finding["evidence"]
        assert finding["severity"] == "warn" and "--max-num-seqs" in finding["advice"]


def cli_async(server: RealVllmServer, *args: str) -> subprocess.Popen[str]:
    """Starts the installed program and returns its process (stdout piped, text)."""
    return subprocess.Popen(
        [*program(), *args],
        cwd=workdir(),
        env=user_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def test_a_screenshot_resaved_with_other_pixels_is_found_in_the_console(
    vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    from PIL import Image

    from tests.support.tmux import TmuxSession
    from vlmconsole.packaged import sample_screenshots

    shots = tmp_path / "shots"
    shots.mkdir()
    screen = shots / "screen.png"
    screen.write_bytes((sample_screenshots() / "screen-01.png").read_bytes())
    session_dir = tmp_path / "session"
    key = f"VLLM_API_KEY='{vllm_server.api_key}'"
    console = TmuxSession("vlmconsole-findings")
    console.start(
        f"cd {workdir()} && env {key} TERM=xterm-256color {program()[0]} attach "
        f":{vllm_server.port} --images {shots} --session-dir {session_dir} --no-preview "
        "--max-tokens 4",
        (160, 50),
    )
    try:
        console.wait_for("a live link", lambda s: "live" in s, 60)
        console.press("n")  # the folder's one screenshot
        console.wait_for("turn 1's receipt", lambda s: "✓ turn 1 ·" in s, 120)
        with Image.open(screen) as image:  # the capture tool saves the same screen as JPEG
            image.convert("RGB").save(screen, format="JPEG", quality=85)
        console.press("p")  # the chat is up (turn 1 is in): the push bar takes the path
        time.sleep(0.5)  # as a person would, before typing
        console.press("-l", str(screen))
        console.press("Enter")
        console.wait_for("turn 2's receipt", lambda s: "✓ turn 2 ·" in s, 120)
        console.press("f")
        shown = console.wait_for(
            "the bytes-changed finding", lambda s: "came back with other pixels" in s, 30
        )
        assert "turn 2:" in shown and "screen.png" in shown
    finally:
        console.close()
    records = read_journal(session_dir / "journal.jsonl").records
    first, second = (r.new_images[0] for r in records)
    assert first.sha256 != second.sha256 and first.pixels_sha256 != second.pixels_sha256
    assert first.look is not None and second.look is not None
