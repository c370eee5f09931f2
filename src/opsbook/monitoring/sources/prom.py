"""prom: an instant PromQL query against the Prometheus of the front matter.

An empty result is "no data" (an error shown as stale), never a zero. A query that returns
several series must say how to combine them (`sum(...)`, `max(...)`).
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from opsbook.monitoring.sources.base import DEFAULT_TIMEOUT, PRIMARY, Reading, SourceError


class PromSource:
    """One PromQL expression, queried at the time of reading."""

    def __init__(
        self, metric: str, query: str, base_url: str | None, timeout: float | None = None
    ) -> None:
        if not base_url:
            raise SourceError(
                f'prom source "{query}" needs the Prometheus address: add `prometheus_url: '
                "http://HOST:9090` (or `prometheus: {url: ...}`) to the front matter"
            )
        self.metric, self.query = metric, query
        self.url = base_url.rstrip("/") + "/api/v1/query"
        self.timeout = timeout or DEFAULT_TIMEOUT

    async def read(self) -> Reading:
        """Run the query and read its one number."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.url, params={"query": self.query})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return Reading(self.metric, error=f"Prometheus at {self.url} did not answer: {exc}")
        if body.get("status") != "success":
            return Reading(self.metric, error=f"Prometheus refused the query: {body.get('error')}")
        return self._reading(body.get("data") or {})

    def _reading(self, data: dict[str, Any]) -> Reading:
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return self._number(result[1])
        if kind != "vector" or not isinstance(result, list):
            return Reading(self.metric, error=f"the query returned a {kind}, not one number")
        if not result:
            return Reading(self.metric, error="no data: the query returned no series")
        if len(result) > 1:
            return Reading(
                self.metric,
                error=f"the query returned {len(result)} series; "
                "combine them into one, for example sum(...) or max(...)",
            )
        return self._number(result[0]["value"][1])

    def _number(self, text: str) -> Reading:
        value = float(text)
        if math.isnan(value):
            return Reading(self.metric, error="no data: the query returned NaN")
        return Reading(self.metric, {PRIMARY: value})
