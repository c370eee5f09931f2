"""http: is a URL up (1 when it answers below 400, else 0), and its latency in milliseconds.

A URL that does not answer is a value (up 0), not an error: that is what the alert is for.
"""

from __future__ import annotations

import time

import httpx

from opsbook.monitoring.sources.base import DEFAULT_TIMEOUT, PRIMARY, Reading, SourceError

LATENCY = "latency_ms"


class HttpSource:
    """An HTTP GET of one URL."""

    def __init__(self, metric: str, url: str, timeout: float | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise SourceError(f'http source "{url}" is not an http:// or https:// URL')
        self.metric, self.url = metric, url
        self.timeout = timeout or DEFAULT_TIMEOUT

    async def read(self) -> Reading:
        """GET the URL once."""
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
                response = await client.get(self.url)
        except httpx.HTTPError:
            return Reading(self.metric, {PRIMARY: 0.0})
        latency = (time.perf_counter() - started) * 1000
        up = 1.0 if response.status_code < 400 else 0.0
        return Reading(self.metric, {PRIMARY: up, LATENCY: round(latency, 3)})
