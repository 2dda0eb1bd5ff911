"""`vlmconsole bench`'s engine: the same turns, once per window policy, headless.

Each run gets images no server cache has seen: synthetic screenshots from a
seed unique to the run, or the given files with one pixel salted per run (vLLM
hashes pixels, not file bytes). All runs append to one journal.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vlmconsole.model.finding_types import ServerFacts
from vlmconsole.model.rates import Scope
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.server_stats import kv_capacity
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.image_transport import make_transport
from vlmconsole.sources.journal import JOURNAL_NAME, Journal
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.screenshots import (
    ImageAsset,
    ImageError,
    load_image,
    salted,
    synthetic_asset,
)
from vlmconsole.sources.server_identity import ServerSource
from vlmconsole.sources.source_errors import SourceError
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

DEFAULT_TEXT = "Screenshot {turn}: what changed, and what should happen next?"


@dataclass(frozen=True, slots=True)
class BenchPlan:
    """Everything a bench needs to know."""

    endpoint: Endpoint
    api_key: ApiKey | None
    policies: tuple[WindowPolicy, ...]
    transport: str
    turns: int
    max_tokens: int
    out_dir: Path
    images: tuple[Path, ...] = ()
    synthetic: tuple[int, int] | None = None
    model: str | None = None
    text: str = DEFAULT_TEXT
    seed: int | None = None
    """Base of the per-run image seeds / salts; random when None (recorded either way)."""
    max_side: int | None = None
    stall_timeout_s: float = 120.0
    timeout_s: float = 5.0
    scrape_around_turns: bool = True
    """Scrape /metrics around each turn for the server's own timing of it."""


@dataclass(frozen=True, slots=True)
class BenchStart:
    """What the bench found before its first turn."""

    info: ServerInfo
    model: str
    seed: int
    journal: Path
    facts: ServerFacts = ServerFacts()
    """max_model_len and the KV cache's (cache_config_info), for the findings."""


class RunImages:
    """The images of one run: turn n's screenshot, loaded and checked once."""

    def __init__(self, plan: BenchPlan, salt: int) -> None:
        self.plan = plan
        self.salt = salt
        self._loaded: dict[Path, ImageAsset] = {}

    def for_turn(self, turn: int) -> ImageAsset:
        """Returns turn `turn`'s (1-based) image; raises ImageError for a bad file."""
        if self.plan.synthetic is not None:
            width, height = self.plan.synthetic
            return synthetic_asset(width, height, self.salt * 100_000 + turn)
        path = self.plan.images[(turn - 1) % len(self.plan.images)]
        asset = self._loaded.get(path)
        if asset is None:
            asset = salted(load_image(path, self.plan.max_side), self.salt)
            self._loaded[path] = asset
        return asset


async def prepare(plan: BenchPlan) -> BenchStart:
    """Returns the server's identity and the model to use; raises SourceError if unusable.

    The same checks as `status`: a server whose /metrics is missing or is not vLLM's
    is refused here, before any file is made (the turns' server timing needs it).
    """
    source = ServerSource(plan.endpoint, plan.api_key, plan.timeout_s)
    metrics = MetricsSource(plan.endpoint, plan.api_key, plan.timeout_s)
    snapshot = None
    try:
        info = await source.info()
        if plan.scrape_around_turns:
            snapshot = await metrics.scrape()
    finally:
        await source.aclose()
        await metrics.aclose()
    if not info.models:
        raise SourceError(f"{plan.endpoint} serves no model (empty /v1/models)")
    names = [card.id for card in info.models]
    model = plan.model or names[0]
    if model not in names:
        raise SourceError(f"{plan.endpoint} does not serve {model!r}; it serves {', '.join(names)}")
    seed = plan.seed if plan.seed is not None else secrets.randbelow(1_000_000)
    capacity = kv_capacity(snapshot, Scope()) if snapshot is not None else None
    facts = ServerFacts.of(info.models, model, capacity)
    return BenchStart(info, model, seed, plan.out_dir / JOURNAL_NAME, facts)


async def run_bench(
    plan: BenchPlan,
    start: BenchStart,
    on_record: Callable[[TurnRecord], None],
    on_run: Callable[[int, WindowPolicy], None] | None = None,
) -> list[TurnRecord]:
    """Runs every policy's turns in order; returns all records (each journaled as it ended)."""
    journal = Journal(start.journal)
    records: list[TurnRecord] = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    try:
        for index, policy in enumerate(plan.policies):
            if on_run is not None:
                on_run(index, policy)
            salt = start.seed + index
            config = RunConfig(
                run_id=f"{stamp}-{index + 1}-{policy}",
                settings=RunSettings(start.model, policy, plan.transport, plan.max_tokens),
                scrape_around_turns=plan.scrape_around_turns,
            )
            transport = make_transport(plan.transport, plan.out_dir)
            engine = TurnEngine(
                plan.endpoint, plan.api_key, config, transport, journal, plan.stall_timeout_s
            )
            images = RunImages(plan, salt)
            await engine.start()
            try:
                for turn in range(1, plan.turns + 1):
                    text = plan.text.format(turn=turn)
                    try:
                        asset = images.for_turn(turn)
                    except ImageError as error:
                        record = engine.record_failure(text, str(error))
                    else:
                        record = await engine.send(text, [asset])
                    records.append(record)
                    on_record(record)
            finally:
                await engine.aclose()
    finally:
        journal.close()
    return records


def policies_from(text: str) -> tuple[WindowPolicy, ...]:
    """Returns the policies of a comma-separated list such as `none,slide:8,chunk:8`."""
    return tuple(WindowPolicy.parse(part) for part in text.split(",") if part.strip())
