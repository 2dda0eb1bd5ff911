"""Parity: the demo server and the real vLLM server, given the same scripted session.

One scripted session runs against both: for each window policy (none, slide:2,
chunk:4) a fresh run of 8 turns, each adding one 1280x720 synthetic screenshot,
sent through the TurnEngine (base64 data URLs, journaled). What the console derives
from the two journals and from the two /metrics pages must agree: the same metric
names, the same prefix-cache hit/miss turns per policy, the same token counts per
image (within 10%), and every turn finished on both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.parity import (
    TurnFacts,
    hit_pattern,
    metric_keys,
    set_difference,
    side_by_side,
    within,
)
from tests.support.real_vllm import RealVllmServer
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import ApiKey
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import DataUrlTransport
from vlmconsole.sources.journal import Journal, read_journal
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.screenshots import synthetic_asset
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

pytestmark = pytest.mark.e2e

POLICIES = ("none", "slide:2", "chunk:4")
TURNS = 8
MAX_TOKENS = 4
TOLERANCE = 0.10
SEED_BASE = 7_000_000_000_000
"""Far above every other test's image seeds (bench: below 10^11), so no other test's
screenshot can be in either server's prefix cache."""
SERVERS = ("real", "sim")

OTHER_NAMES_EXCEPTIONS: dict[str, str] = {}
"""Raw `vllm:` sample names the console does not read that may differ between the two
servers, each with the reason it cannot be fixed in the simulator. Empty: none differ."""


def seed(server: str, policy: str, turn: int) -> int:
    """Returns turn `turn`'s image seed: unique per server, per run and per turn."""
    return SEED_BASE + SERVERS.index(server) * 1000 + POLICIES.index(policy) * 100 + turn


def words(turn: int) -> str:
    """Returns the words of turn `turn` (the same on both servers and in every run)."""
    return f"Screen {turn}: what changed, and what should I do next?"


@dataclass(frozen=True)
class Side:
    """What the console derived from one server."""

    name: str
    runs: dict[str, list[TurnFacts]]
    """Policy -> the run's turns, as read back from the journal."""
    metrics: MetricsSnapshot
    """A scrape taken after the session."""
    took_s: float


async def drive(name: str, base_url: str, key: str, model: str, journal_path: Path) -> Side:
    """Runs the scripted session against one server; returns what the console derived."""
    started = time.monotonic()
    journal = Journal(journal_path)
    try:
        for policy in POLICIES:
            engine = TurnEngine(
                parse_endpoint(base_url),
                ApiKey(key),
                RunConfig(
                    f"parity-{name}-{policy}",
                    RunSettings(model, WindowPolicy.parse(policy), max_tokens=MAX_TOKENS),
                ),
                DataUrlTransport(),
                journal,
            )
            try:
                for turn in range(1, TURNS + 1):
                    shot = synthetic_asset(1280, 720, seed(name, policy, turn))
                    await engine.send(words(turn), [shot])
            finally:
                await engine.aclose()
    finally:
        journal.close()
    source = MetricsSource(parse_endpoint(base_url), ApiKey(key), timeout_s=5.0)
    try:
        metrics = await source.scrape()
    finally:
        await source.aclose()
    contents = read_journal(journal_path)
    assert contents.skipped == (), f"{name}: unreadable journal lines {contents.skipped}"
    runs: dict[str, list[TurnFacts]] = {}
    for record in contents.records:
        runs.setdefault(record.policy, []).append(TurnFacts.of(record))
    return Side(name, runs, metrics, time.monotonic() - started)


@pytest.fixture(scope="module")
def sim(vllm_server: RealVllmServer) -> Iterator[SimServer]:
    """The demo server, serving the real server's model name behind the same API key."""
    config = SimConfig(speed=20, model=vllm_server.model, api_key=vllm_server.api_key)
    with run_in_thread(config) as server:
        yield server


@pytest.fixture(scope="module")
def sides(
    vllm_server: RealVllmServer, sim: SimServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Side, Side]:
    """Runs the scripted session on the real server, then on the sim: (real, sim)."""
    assert vllm_server.api_key is not None, "the session server runs with --api-key"
    key, model = vllm_server.api_key, vllm_server.model
    folder = tmp_path_factory.mktemp("parity")
    real = asyncio.run(drive("real", vllm_server.base_url, key, model, folder / "real.jsonl"))
    simulated = asyncio.run(drive("sim", sim.base_url, key, model, folder / "sim.jsonl"))
    print(f"\nparity session: real {real.took_s:.1f} s, sim {simulated.took_s:.1f} s")
    for policy in POLICIES:
        table = side_by_side("real", real.runs[policy], "sim", simulated.runs[policy])
        print(f"\n{policy}:\n{table}")
    keys = len(metric_keys(real.metrics)), len(metric_keys(simulated.metrics))
    print(f"\nmetrics the console reads: real {keys[0]}, sim {keys[1]}")
    counts = len(real.metrics.other_names), len(simulated.metrics.other_names)
    other = set_difference("real", real.metrics.other_names, "sim", simulated.metrics.other_names)
    print(f"vllm: samples it does not read: real {counts[0]}, sim {counts[1]}\n{other}")
    return real, simulated


def test_every_turn_finished_on_both_servers(sides: tuple[Side, Side]) -> None:
    for side in sides:
        assert sorted(side.runs) == sorted(POLICIES), f"{side.name}: runs {sorted(side.runs)}"
        for policy, turns in side.runs.items():
            assert len(turns) == TURNS, f"{side.name} {policy}: {len(turns)} of {TURNS} turns"
            failed = [(t.turn, t.error) for t in turns if not t.ok]
            assert not failed, f"{side.name} {policy}: failed turns {failed}"


def test_the_sim_exposes_every_metric_the_console_reads_from_the_real_server(
    sides: tuple[Side, Side],
) -> None:
    real, simulated = sides
    real_keys, sim_keys = metric_keys(real.metrics), metric_keys(simulated.metrics)
    assert real_keys <= sim_keys, "the sim lacks metrics the console reads:\n" + set_difference(
        "real", real_keys, "sim", sim_keys
    )
    assert real_keys == sim_keys, "the console reads different metrics:\n" + set_difference(
        "real", real_keys, "sim", sim_keys
    )
    differ = {
        key: (real.metrics.vllm_names[key], simulated.metrics.vllm_names[key])
        for key in real_keys
        if real.metrics.vllm_names[key] != simulated.metrics.vllm_names[key]
    }
    assert not differ, f"exported under other vLLM names (real, sim): {differ}"


def test_the_sim_exposes_the_same_other_vllm_metrics(sides: tuple[Side, Side]) -> None:
    real, simulated = sides
    allowed = set(OTHER_NAMES_EXCEPTIONS)
    real_other = set(real.metrics.other_names) - allowed
    sim_other_names = set(simulated.metrics.other_names) - allowed
    assert real_other == sim_other_names, (
        "vllm: samples the console does not read differ:\n"
        + set_difference("real", real_other, "sim", sim_other_names)
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_cache_hits_and_misses_fall_on_the_same_turns(
    sides: tuple[Side, Side], policy: str
) -> None:
    real, simulated = sides
    real_turns, sim_turns = real.runs[policy], simulated.runs[policy]
    table = side_by_side("real", real_turns, "sim", sim_turns)
    real_pattern, sim_pattern = hit_pattern(real_turns), hit_pattern(sim_turns)
    assert real_pattern == sim_pattern, (
        f"{policy}: hit/miss differ\nreal {real_pattern}\nsim  {sim_pattern}\n{table}"
    )
    images = [t.images_in_request for t in real_turns], [t.images_in_request for t in sim_turns]
    assert images[0] == images[1], f"{policy}: images per request (real, sim) {images}\n{table}"


@pytest.mark.parametrize("policy", POLICIES)
def test_tokens_per_image_and_per_prompt_agree(sides: tuple[Side, Side], policy: str) -> None:
    real, simulated = sides
    real_turns, sim_turns = real.runs[policy], simulated.runs[policy]
    table = side_by_side("real", real_turns, "sim", sim_turns)
    for ours, theirs in zip(real_turns, sim_turns, strict=True):
        real_image, sim_image = ours.new_image_tokens, theirs.new_image_tokens
        assert real_image is not None and sim_image is not None, (
            f"{policy} turn {ours.turn}: image tokens unknown (real {real_image}, sim {sim_image})"
            f"\n{table}"
        )
        assert within(real_image, sim_image, TOLERANCE), (
            f"{policy} turn {ours.turn}: image tokens real {real_image}, sim {sim_image} "
            f"(more than {TOLERANCE:.0%} apart)\n{table}"
        )
        assert within(ours.prompt_tokens, theirs.prompt_tokens, TOLERANCE), (
            f"{policy} turn {ours.turn}: prompt tokens real {ours.prompt_tokens}, "
            f"sim {theirs.prompt_tokens} (more than {TOLERANCE:.0%} apart)\n{table}"
        )
