"""Link an alert to the runbook: the metric it is about and the troubleshooting issue to read.

An alert's `alertname` (or `runbook_url`) may name an issue by id or title (or, in a served
folder of runbooks, by its file's name), or a Key Metric by name or id; a metric leads to
the issue whose symptoms mention it. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from opsbook.runbook.model import AlertRule, Metric, Runbook, TroubleshootingIssue


@dataclass(frozen=True)
class Link:
    metric: str | None = None
    issue: str | None = None


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def metric_named(runbook: Runbook, name: str) -> Metric | None:
    """Find a Key Metric by name, id, or its source's figure (`cpu_percent`), ignoring case."""
    wanted = _norm(name)
    if not wanted:
        return None
    for metric in runbook.metrics:
        spec = metric.source.split(":", 1)[-1]
        if wanted in (_norm(metric.name), _norm(metric.id), _norm(spec)):
            return metric
    return None


def rule_for_metric(runbook: Runbook, metric_id: str | None) -> AlertRule | None:
    """Return the threshold rule of a Key Metric, by the metric's id."""
    for rule in runbook.alert_rules:
        metric = metric_named(runbook, rule.metric)
        if metric is not None and metric.id == metric_id:
            return rule
    return None


def issue_named(runbook: Runbook, name: str) -> TroubleshootingIssue | None:
    """Find a troubleshooting issue whose id or title is `name`, ignoring case and punctuation."""
    wanted = _norm(name)
    if not wanted:
        return None
    return next(
        (
            i
            for i in runbook.troubleshooting
            if wanted in (_norm(i.id), _norm(i.title), _norm(_stem(i.source)))
        ),
        None,
    )


def _stem(source: str) -> str:
    """Return a file's name without folder or `.md`: an alert's page is often its name."""
    return source.rsplit("/", 1)[-1].removesuffix(".md") if source else ""


def issue_for_metric(runbook: Runbook, metric: Metric) -> TroubleshootingIssue | None:
    """Return the first issue whose symptoms mention the metric's name."""
    name = metric.name.lower()
    return next(
        (i for i in runbook.troubleshooting if any(name in s.lower() for s in i.symptoms)), None
    )


def link_alert(runbook: Runbook, labels: Mapping[str, str], annotations: Mapping[str, str]) -> Link:
    """Return the metric and issue an alert belongs to (either may be None)."""
    names = [labels.get("alertname", ""), labels.get("metric", "")]
    url = annotations.get("runbook_url") or labels.get("runbook_url") or ""
    if url:
        tail = url.rstrip("/").rsplit("/", 1)[-1]
        anchor = tail.rsplit("#", 1)[-1]
        # The exporter points at a metric's chart as `/monitoring#m-ID`.
        page = tail.split("#", 1)[0].split("?", 1)[0]
        names += [anchor, anchor.removeprefix("m-"), page, page.removesuffix(".md")]
    metric = next((m for m in (metric_named(runbook, n) for n in names) if m), None)
    issue = next((i for i in (issue_named(runbook, n) for n in names) if i), None)
    if issue is None and metric is not None:
        issue = issue_for_metric(runbook, metric)
    return Link(metric.id if metric else None, issue.id if issue else None)
