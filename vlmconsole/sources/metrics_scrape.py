"""Scrapes a vLLM server's /metrics into a MetricsSnapshot."""

from __future__ import annotations

import time
from collections.abc import Callable

from vlmconsole.model.snapshot import (
    MetricsParser,
    MetricsSnapshot,
    NotPrometheusText,
    NoVllmMetrics,
)
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http_get import HttpGet, HttpxGet, check_auth
from vlmconsole.sources.source_errors import BadResponse, NotFound


class MetricsSource:
    """Scrapes one server's /metrics. Close it when done."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: ApiKey | None,
        timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        http: HttpGet | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._wall_clock = wall_clock
        self.url = f"{endpoint.base_url}/metrics"
        self.timeout_s = timeout_s
        self._clock = clock
        self._had_key = api_key is not None
        self._http = http or HttpxGet(endpoint, api_key, timeout_s)
        self._parser = MetricsParser()

    async def aclose(self) -> None:
        """Closes the HTTP connections."""
        await self._http.aclose()

    async def fetch_text(self) -> str:
        """Returns the raw /metrics page."""
        response = await self._http.get("/metrics")
        check_auth(response, self._had_key)
        if response.status_code == 404:
            raise NotFound(self.url, "no /metrics: a server without metrics, or not vLLM")
        if response.status_code != 200:
            raise BadResponse(self.url, f"status {response.status_code}")
        return response.text

    async def scrape(self) -> MetricsSnapshot:
        """Returns the parsed page, stamped with the clock reading taken when it arrived."""
        text = await self.fetch_text()
        scraped_at_s, wall_s = self._clock(), self._wall_clock()
        try:
            return self._parser.parse(text, scraped_at_s, wall_s)
        except NotPrometheusText as error:
            raise BadResponse(self.url, f"not Prometheus text ({error})") from None
        except NoVllmMetrics as error:
            raise BadResponse(self.url, str(error)) from None
