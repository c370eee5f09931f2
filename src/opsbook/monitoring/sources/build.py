"""Build the source of each Key Metric from its runbook text (`host:...`, `http:...`, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsbook.monitoring.sources.base import MetricSource, SourceError
from opsbook.monitoring.sources.cmd import CommandSource
from opsbook.monitoring.sources.host import HostSource
from opsbook.monitoring.sources.http import HttpSource
from opsbook.monitoring.sources.prom import PromSource
from opsbook.runbook.model import Metric, Runbook

KINDS = ("host", "http", "prom", "cmd")


def prometheus_url(settings: dict[str, Any]) -> str | None:
    """Return the Prometheus address of the front matter (`prometheus_url` or `prometheus.url`)."""
    url = settings.get("prometheus_url")
    nested = settings.get("prometheus")
    if not url and isinstance(nested, dict):
        url = nested.get("url")
    return str(url) if url else None


def source_for(metric: Metric, runbook: Runbook) -> MetricSource:
    """Return the source that reads this metric, or raise SourceError saying what is wrong."""
    kind, _, rest = metric.source.partition(":")
    key = metric.id or metric.name
    timeout = metric.attrs.timeout
    if kind == "host":
        return HostSource(key, rest)
    if kind == "http":
        return HttpSource(key, rest, timeout)
    if kind == "prom":
        return PromSource(key, rest, prometheus_url(runbook.settings), timeout)
    if kind == "cmd":
        cwd = str(Path(runbook.path).resolve().parent)
        return CommandSource(key, rest, metric.attrs.cwd or cwd, timeout)
    raise SourceError(
        f'metric "{metric.name}" has source kind "{kind}"; use one of: {", ".join(KINDS)}'
    )
