"""One server's metrics read through Prometheus: `attach --prometheus URL --instance X`.

For an operator who cannot reach the vLLM server but can reach the Prometheus that
scrapes it. Each tick asks Prometheus for the instance's latest `vllm:` series (one
query) and its target (health, last error, scrape URL), and hands the console the
same snapshot a scrape of /metrics would give. The snapshot's time is Prometheus'
sample time, so rates span real scrapes, not the console's polls. When Prometheus'
last scrape of the instance failed, the tick fails as a lost connection does.
"""

from __future__ import annotations

from vlmconsole.model.fleet_rows import Target
from vlmconsole.model.observation import Observation
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.model.snapshot import NoVllmMetrics, snapshot_of_samples
from vlmconsole.sources.fleet_source import base_of
from vlmconsole.sources.prometheus_api import PrometheusApi
from vlmconsole.sources.source_errors import ServerUnreachable, SourceError

SCRAPED_AT = "vlmconsole_scraped_at"
DROPPED_LABELS = frozenset({"__name__", "instance", "job"})
"""Labels Prometheus adds: the console's scopes are vLLM's own (engine, model_name)."""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class PrometheusFeed:
    """The console's metrics feed (console_sources.MetricsFeed), through Prometheus."""

    def __init__(self, api: PrometheusApi, instance: str, version: str | None = None) -> None:
        self.api = api
        self.instance = instance
        self.version = version
        where = f"instance={_quoted(instance)}"
        # the instance's series, and when Prometheus last scraped it (an instant query's
        # samples carry the query's time, not the scrape's)
        self._expr = (
            f'{{__name__=~"vllm:.+|up", {where}}} or label_replace('
            f'timestamp(up{{{where}}}), "{SCRAPED_AT}", "1", "", "")'
        )

    @property
    def where(self) -> str:
        """Returns how the console names this feed."""
        return f"{self.instance} through Prometheus {self.api.url}"

    def ready(self) -> Observation | None:
        """Returns None: nothing is asked before the console is up."""
        return None

    async def target(self) -> Target | None:
        """Returns the instance's scrape target, or None when Prometheus has none."""
        for target in await self.api.targets():
            if target.instance == self.instance:
                return target
        return None

    async def observe(self) -> Observation:
        """Returns the instance as Prometheus last scraped it; raises SourceError."""
        samples = await self.api.query(self._expr)
        target = await self.target()
        up = [s for s in samples if s.labels.get("__name__") == "up"]
        if target is None and not samples:
            raise SourceError(
                f"Prometheus at {self.api.url} has no instance {self.instance!r}"
                " (vlmconsole fleet lists the ones it scrapes)"
            )
        if up and up[0].value == 0 or (target is not None and target.health == "down"):
            cause = target.last_error if target is not None and target.last_error else "down"
            raise ServerUnreachable(self.where, f"Prometheus' last scrape failed: {cause}")
        series = [
            (
                s.labels.get("__name__", ""),
                {k: v for k, v in s.labels.items() if k not in DROPPED_LABELS},
                s.value,
            )
            for s in samples
            if s.labels.get("__name__", "").startswith("vllm:")
        ]
        stamps = [s.value for s in samples if SCRAPED_AT in s.labels]
        at_s = stamps[0] if stamps else max((s.at_s for s in samples), default=0.0)
        try:
            snapshot = snapshot_of_samples(series, at_s)
        except NoVllmMetrics:
            raise SourceError(
                f"Prometheus scrapes {self.instance!r} but holds no vllm: series for it"
                " (is it a vLLM server?)"
            ) from None
        models = sorted(
            {
                dict(labels).get("model_name", "")
                for series in snapshot.values.values()
                for labels in series
            }
            - {""}
        )
        url = base_of(target.scrape_url) if target is not None else None
        info = ServerInfo(
            url=url or self.where,
            version=self.version,
            healthy=True,
            health_detail=f"scraped by Prometheus ({self.api.url})",
            models=tuple(ModelCard(model, None, None) for model in models),
            load=None,
        )
        return Observation(info, snapshot)

    async def aclose(self) -> None:
        """Closes the connections."""
        await self.api.aclose()
