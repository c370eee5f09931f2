"""Export the runbook's thresholds on `prom:` metrics as a Prometheus alerting rule file. Pure.

One rule per level (warning, critical), as Prometheus does it: the same alert name with a
`severity` label, the runbook's hold duration as `for:`, and a `runbook_url` annotation
pointing at the dashboard's troubleshooting page for the metric (or its chart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsbook.monitoring.linking import issue_for_metric, metric_named
from opsbook.runbook.model import Runbook, Threshold

DEFAULT_DASHBOARD = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    exported: tuple[str, ...]
    skipped: tuple[str, ...]  # rules whose metric is not a `prom:` source, with why


def alert_name(metric_name: str) -> str:
    """Return a Prometheus-friendly alert name: `Request rate` -> `RequestRate`."""
    words = re.findall(r"[A-Za-z0-9]+", metric_name)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "OpsbookAlert"
    return name if name[0].isalpha() else f"Metric{name}"


def prom_duration(seconds: float) -> str:
    """Write seconds the way Prometheus reads durations: 90 -> `90s`, 600 -> `10m`."""
    whole = round(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def _expr(query: str, threshold: Threshold) -> str:
    return f"({query}) {threshold.op} {threshold.value:g}"


def prometheus_rules(runbook: Runbook, dashboard_url: str | None = None) -> Export:
    """Build the rule file for every alert rule whose metric is read from Prometheus."""
    base = (
        dashboard_url or str(runbook.settings.get("dashboard_url") or "") or DEFAULT_DASHBOARD
    ).rstrip("/")
    rules: list[dict[str, Any]] = []
    exported, skipped = [], []
    for rule in runbook.alert_rules:
        metric = metric_named(runbook, rule.metric)
        if metric is None or metric.kind != "prom":
            source = metric.source if metric else "no Key Metric of that name"
            skipped.append(f"{rule.metric} ({source})")
            continue
        query = metric.source.split(":", 1)[1].strip()
        issue = issue_for_metric(runbook, metric)
        url = f"{base}/troubleshooting/{issue.id}" if issue else f"{base}/monitoring#m-{metric.id}"
        for level, threshold in (("warning", rule.warning), ("critical", rule.critical)):
            if threshold is None:
                continue
            entry: dict[str, Any] = {
                "alert": alert_name(metric.name),
                "expr": _expr(query, threshold),
            }
            if rule.for_seconds > 0:
                entry["for"] = prom_duration(rule.for_seconds)
            entry["labels"] = {"severity": level, "metric": metric.id}
            entry["annotations"] = {
                "summary": f"{metric.name} is {{{{ $value }}}} ({level}: "
                f"{threshold.op} {threshold.value:g})",
                "description": metric.description or metric.name,
                "runbook_url": url,
            }
            rules.append(entry)
        exported.append(metric.name)
    group = re.sub(r"[^a-z0-9]+", "-", (runbook.system.name or runbook.title or "opsbook").lower())
    document = {"groups": [{"name": f"opsbook-{group.strip('-') or 'runbook'}", "rules": rules}]}
    return Export(document, tuple(exported), tuple(skipped))
