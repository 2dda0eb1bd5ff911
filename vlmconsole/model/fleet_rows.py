"""The fleet: one row per vLLM instance Prometheus scrapes, its totals, sorting, filtering.

Rows are built from the answer to the one combined query (fleet_queries) and from
Prometheus' list of targets (health, last error, scrape URL). An instance seen with
vLLM series within the last hour stays listed: `up == 0` is "down" with the scrape's
error, and an instance Prometheus no longer scrapes at all is "gone".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from vlmconsole.model.finding_types import Finding
from vlmconsole.model.fleet_queries import COLUMN_LABEL
from vlmconsole.model.server_findings import server_findings
from vlmconsole.model.server_stats import KvCapacity

Health = Literal["up", "down", "gone"]


@dataclass(frozen=True, slots=True)
class PromSample:
    """One series of an instant-vector answer: its labels and value (NaN kept as NaN)."""

    labels: Mapping[str, str]
    value: float
    at_s: float = 0.0
    """The sample's Unix time."""


@dataclass(frozen=True, slots=True)
class Target:
    """One scrape target as Prometheus' /api/v1/targets lists it."""

    instance: str
    job: str
    health: str
    """"up", "down" or "unknown" (not scraped yet)."""
    scrape_url: str
    last_error: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One vLLM instance: what it is and what it is doing over the window."""

    instance: str
    job: str
    health: Health
    health_detail: str
    """"up", or the scrape's last error, or why it is gone."""
    models: tuple[str, ...] = ()
    version: str | None = None
    scrape_url: str | None = None
    kv_cache_usage: float | None = None
    running: float | None = None
    waiting: float | None = None
    preemptions_per_s: float | None = None
    prompt_tokens_per_s: float | None = None
    generation_tokens_per_s: float | None = None
    prefix_cache_hit_rate: float | None = None
    mm_cache_hit_rate: float | None = None
    ttft_p50_s: float | None = None
    ttft_p90_s: float | None = None
    itl_p90_s: float | None = None
    admission_rejections_per_s: float | None = None
    waiting_for_kv: float | None = None
    awake: float | None = None
    requests_failed: float | None = None
    kv_capacity: KvCapacity | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """Returns (instance, job): what tells rows apart."""
        return (self.instance, self.job)

    @property
    def model(self) -> str:
        """Returns the served models, comma-separated ("" when not known)."""
        return ", ".join(self.models)

    # What the server-level rules read (server_findings.ServerSignals).
    @property
    def asleep(self) -> bool | None:
        """Returns True when the engine sleeps; None when not exported."""
        return None if self.awake is None else self.awake == 0

    @property
    def admission_rejections_total(self) -> float | None:
        """Returns None: the fleet reads the rate, not the count since start."""
        return None

    @property
    def waiting_by_reason(self) -> Mapping[str, float]:
        """Returns the requests waiting for KV room, by reason."""
        return {} if self.waiting_for_kv is None else {"capacity": self.waiting_for_kv}

    @property
    def requests_finished(self) -> Mapping[str, float]:
        """Returns requests ended in error or aborted since the start."""
        return {} if self.requests_failed is None else {"error": self.requests_failed}


NUMBER_COLUMNS = tuple(
    f.name
    for f in fields(FleetRow)
    if f.name
    not in {
        "instance",
        "job",
        "health",
        "health_detail",
        "models",
        "version",
        "scrape_url",
        "kv_capacity",
        "findings",
    }
)


@dataclass(frozen=True, slots=True)
class FleetReading:
    """One refresh: the rows, when they were read, and what it cost."""

    rows: tuple[FleetRow, ...]
    at_s: float
    """The monotonic clock's reading when the answer came (for the data's age)."""
    wall_s: float
    requests: int
    """HTTP requests this refresh sent to Prometheus."""
    took_s: float


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """The fleet at a glance: instances up and down, and the sums that add up."""

    instances: int
    up: int
    down: int
    running: float
    waiting: float
    prompt_tokens_per_s: float
    generation_tokens_per_s: float
    preemptions_per_s: float
    kv_cache_usage_max: float | None
    findings: int


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value


def fleet_rows(
    answer: Iterable[PromSample],
    targets: Sequence[Target],
    known: Iterable[tuple[str, str]] = (),
    versions: Mapping[str, str] | None = None,
) -> list[FleetRow]:
    """Returns one row per vLLM instance, in instance order.

    `answer` is the combined query's; `known` the instances listed before (kept as
    down or gone); `versions` what each instance said its vLLM version is.
    """
    values: dict[tuple[str, str], dict[str, float | None]] = {}
    models: dict[tuple[str, str], set[str]] = {}
    caches: dict[tuple[str, str], KvCapacity] = {}
    for sample in answer:
        labels = sample.labels
        key = (labels.get("instance", ""), labels.get("job", ""))
        column = labels.get(COLUMN_LABEL, "")
        if column == "model":
            if labels.get("model_name"):
                models.setdefault(key, set()).add(labels["model_name"])
        elif column == "cache":
            caches[key] = _capacity(labels)
        elif column:
            values.setdefault(key, {})[column] = _number(sample.value)
    by_target = {(t.instance, t.job): t for t in targets}
    keys = {k for k, v in values.items() if "seen" in v} | set(known)
    versions = versions or {}
    rows = []
    for key in sorted(keys):
        instance, job = key
        target = by_target.get(key)
        numbers = {k: v for k, v in values.get(key, {}).items() if k in NUMBER_COLUMNS}
        if target is None:
            health: Health = "gone"
            detail = "Prometheus no longer scrapes it"
        elif target.health == "up":
            health, detail = "up", "up"
        else:
            health, detail = "down", target.last_error or f"scrape {target.health}"
        version = versions.get(instance) or (target.labels.get("version") if target else None)
        row = FleetRow(
            instance=instance,
            job=job,
            health=health,
            health_detail=detail,
            models=tuple(sorted(models.get(key, ()))),
            version=version,
            scrape_url=target.scrape_url if target else None,
            kv_capacity=caches.get(key),
            **numbers,  # type: ignore[arg-type]
        )
        if health == "up":
            row = replace(row, findings=tuple(server_findings(row)))
        rows.append(row)
    return rows


def _capacity(labels: Mapping[str, str]) -> KvCapacity:
    tokens = labels.get("kv_cache_size_tokens", "")
    caching = labels.get("enable_prefix_caching")
    return KvCapacity(
        block_size=None,
        num_blocks=None,
        capacity_tokens=int(tokens) if tokens.isdigit() else None,
        max_concurrency=None,
        prefix_caching=None if caching is None else caching == "True",
    )


def fleet_totals(rows: Sequence[FleetRow]) -> FleetTotals:
    """Returns the fleet's totals: counts, summed load and throughput, the fullest KV cache."""
    up = [row for row in rows if row.health == "up"]

    def total(name: str) -> float:
        return sum(getattr(row, name) or 0.0 for row in up)

    usage = [row.kv_cache_usage for row in up if row.kv_cache_usage is not None]
    return FleetTotals(
        instances=len(rows),
        up=len(up),
        down=len(rows) - len(up),
        running=total("running"),
        waiting=total("waiting"),
        prompt_tokens_per_s=total("prompt_tokens_per_s"),
        generation_tokens_per_s=total("generation_tokens_per_s"),
        preemptions_per_s=total("preemptions_per_s"),
        kv_cache_usage_max=max(usage) if usage else None,
        findings=sum(len(row.findings) for row in rows),
    )


SORTABLE = ("instance", "job", "model", "version", "health", *NUMBER_COLUMNS, "findings")


def sort_value(row: FleetRow, column: str) -> tuple[int, float | str]:
    """Returns a key that sorts `column`'s values, rows without one last."""
    if column == "findings":
        return (0, -float(len(row.findings)))
    value = getattr(row, column)
    if value is None or value == "":
        return (1, "")
    if isinstance(value, int | float):
        return (0, float(value))
    return (0, str(value).lower())


def sorted_rows(rows: Sequence[FleetRow], column: str, descending: bool = False) -> list[FleetRow]:
    """Returns the rows sorted by `column` (missing values last either way)."""
    if column not in SORTABLE:
        raise ValueError(f"no column {column!r} to sort by: one of {', '.join(SORTABLE)}")
    present = [row for row in rows if sort_value(row, column)[0] == 0]
    missing = [row for row in rows if sort_value(row, column)[0] == 1]
    present.sort(key=lambda row: sort_value(row, column)[1], reverse=descending)
    return present + missing


_CONDITION = re.compile(r"^\s*([a-z_0-9]+)\s*(>=|<=|!=|=|>|<|~)\s*(.*?)\s*$")


class FilterError(ValueError):
    """A filter that names no column or compares a number with words."""


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which rows to show: words found anywhere, or `column OP value` conditions."""

    text: str = ""

    def conditions(self) -> list[tuple[str, str, str]]:
        """Returns the (column, operator, value) conditions; bare words are `any ~ word`."""
        found = []
        for part in self.text.split():
            match = _CONDITION.match(part)
            if match is None:
                found.append(("any", "~", part))
                continue
            column, op, value = match.groups()
            if column not in SORTABLE and column != "any":
                raise FilterError(f"no column {column!r}: one of {', '.join(SORTABLE)}")
            if op in (">", "<", ">=", "<=") and column in NUMBER_COLUMNS:
                try:
                    float(value)
                except ValueError:
                    raise FilterError(f"{column} {op} needs a number, not {value!r}") from None
            found.append((column, op, value))
        return found

    def keeps(self, row: FleetRow) -> bool:
        """Returns True when the row meets every condition."""
        return all(_meets(row, *condition) for condition in self.conditions())


def _text(row: FleetRow, column: str) -> str:
    if column == "findings":
        return " ".join(f.rule for f in row.findings)
    value = getattr(row, column)
    return "" if value is None else str(value)


def _meets(row: FleetRow, column: str, op: str, value: str) -> bool:
    if column == "any":
        words = [_text(row, c) for c in ("instance", "job", "model", "version", "health")]
        words.append(_text(row, "findings"))
        return any(value.lower() in word.lower() for word in words)
    if op == "~":
        return value.lower() in _text(row, column).lower()
    if op in ("=", "!="):
        equal = _text(row, column).lower() == value.lower()
        if column in NUMBER_COLUMNS and getattr(row, column) is not None:
            try:
                equal = float(getattr(row, column)) == float(value)
            except ValueError:
                pass
        return equal if op == "=" else not equal
    number: float | None = getattr(row, column) if column in NUMBER_COLUMNS else None
    if number is None:
        return False
    limit = float(value)
    return {
        ">": number > limit,
        "<": number < limit,
        ">=": number >= limit,
        "<=": number <= limit,
    }[op]
