"""Prometheus metrics of one server: HTTP requests, runs started and failed, step durations."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class WebMetrics:
    """The server's metrics, in a registry of its own (one per app, so tests stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "opsbook_http_requests",
            "HTTP requests served.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "opsbook_http_request_duration_seconds",
            "Time to serve an HTTP request.",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.runs_started = Counter(
            "opsbook_runs_started",
            "Procedure runs started.",
            ["procedure"],
            registry=self.registry,
        )
        self.runs_failed = Counter(
            "opsbook_runs_failed",
            "Procedure runs that failed or rolled back.",
            ["procedure"],
            registry=self.registry,
        )
        self.step_seconds = Histogram(
            "opsbook_step_duration_seconds",
            "Time a procedure step took.",
            ["procedure"],
            registry=self.registry,
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
        )

    def exposition(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
