"""Prometheus' HTTP API: instant queries and the list of scrape targets.

Errors are one line each: no Prometheus at the address, an address that is not a
Prometheus API, a query Prometheus refuses (with its own words), a refused login.
`requests_sent` counts the HTTP requests made (benchmarks/bench_fleet.py checks that
a refresh costs the same at any fleet size).
"""

from __future__ import annotations

from typing import Any

import httpx

from vlmconsole.model.fleet_rows import PromSample, Target
from vlmconsole.model.outside_text import one_line
from vlmconsole.sources.endpoint import Endpoint, parse_endpoint
from vlmconsole.sources.http import transport_cause
from vlmconsole.sources.source_errors import SourceError


class PrometheusError(SourceError):
    """Prometheus could not be asked, or refused what was asked."""


def parse_prometheus_url(text: str) -> Endpoint:
    """Returns Prometheus' root URL from `HOST:PORT`, `:PORT` or a URL."""
    return parse_endpoint(text)


class PrometheusApi:
    """Asks one Prometheus server over its HTTP API (`/api/v1/...`)."""

    def __init__(self, endpoint: Endpoint, timeout_s: float = 5.0) -> None:
        self.url = endpoint.base_url
        self.timeout_s = timeout_s
        self.requests_sent = 0
        self._client = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            verify=self.url.startswith("https://"),
        )

    async def aclose(self) -> None:
        """Closes the connections."""
        await self._client.aclose()

    async def query(self, expr: str) -> list[PromSample]:
        """Returns the instant vector `expr` evaluates to now."""
        data = await self._ask("/api/v1/query", {"query": expr}, post=True)
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            kind = data.get("resultType") if isinstance(data, dict) else type(data).__name__
            raise PrometheusError(f"Prometheus at {self.url} answered a {kind}, not a vector")
        samples = []
        for item in data.get("result") or []:
            try:
                labels = {str(k): str(v) for k, v in item["metric"].items()}
                at_s, value = float(item["value"][0]), _float(item["value"][1])
            except (KeyError, IndexError, TypeError, AttributeError):
                raise PrometheusError(
                    f"Prometheus at {self.url} answered a series without labels or value"
                ) from None
            samples.append(PromSample(labels, value, at_s))
        return samples

    async def targets(self) -> list[Target]:
        """Returns the active scrape targets with their health and last error."""
        data = await self._ask("/api/v1/targets", {"state": "active"})
        if not isinstance(data, dict):
            raise PrometheusError(f"Prometheus at {self.url} answered targets that are no list")
        found = []
        for item in data.get("activeTargets") or []:
            labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
            found.append(
                Target(
                    instance=labels.get("instance", ""),
                    job=labels.get("job", ""),
                    health=str(item.get("health", "unknown")),
                    scrape_url=str(item.get("scrapeUrl", "")),
                    last_error=one_line(str(item.get("lastError") or "")),
                    labels=labels,
                )
            )
        return found

    async def _ask(self, path: str, params: dict[str, str], post: bool = False) -> Any:
        self.requests_sent += 1
        where = f"{self.url}{path}"
        try:
            if post:  # a fleet's query is long: a form body, not a URL
                response = await self._client.post(path, data=params)
            else:
                response = await self._client.get(path, params=params)
        except httpx.TransportError as error:
            cause = transport_cause(error, self.timeout_s).replace(
                "is vLLM running", "is Prometheus running"
            )
            raise PrometheusError(f"cannot reach Prometheus at {self.url}: {cause}") from error
        if response.status_code in (401, 403):
            raise PrometheusError(
                f"{response.status_code} from {where}: Prometheus wants a login this console"
                " does not send (put it behind no auth on loopback, or a proxy)"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "status" not in body:
            raise PrometheusError(
                f"{where} answered {response.status_code} without Prometheus' JSON:"
                " is this Prometheus' address (such as http://127.0.0.1:9090)?"
            )
        if body["status"] != "success":
            kind = one_line(str(body.get("errorType") or "error"))
            words = one_line(str(body.get("error") or "no reason given"))
            raise PrometheusError(f"Prometheus refused the query ({kind}): {words}")
        return body.get("data")


def _float(value: Any) -> float:
    """Returns Prometheus' number (a string: "1.5", "NaN", "+Inf")."""
    return float(value)
