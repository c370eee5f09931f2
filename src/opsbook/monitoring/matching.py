"""Which actions an alert takes: its threshold row's, or the front matter's route. Pure.

A rule alert takes its own row's. An Alertmanager alert takes the row of the Key Metric it
is linked to (`linking.py`: its `alertname` or `metric` label is the metric's name or id,
as the rules `opsbook export prometheus-rules` writes have it, or its `runbook_url` points
at the metric), else the row of the metric the troubleshooting issue it links to is about,
else the `alert_routes:` route of its severity (or the `default` one), else none.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.monitoring.linking import issue_for_metric, metric_named, rule_for_metric
from opsbook.runbook.alert_routes import DEFAULT, alert_routes
from opsbook.runbook.model import AlertRule, Runbook


@dataclass(frozen=True)
class Match:
    """The actions an alert takes (as a row of the thresholds), and how they were found."""

    rule: AlertRule
    via: str


def rule_for_issue(runbook: Runbook, issue_id: str | None) -> AlertRule | None:
    """Return the threshold row of the metric a troubleshooting issue is about."""
    if not issue_id:
        return None
    for rule in runbook.alert_rules:
        metric = metric_named(runbook, rule.metric)
        issue = issue_for_metric(runbook, metric) if metric is not None else None
        if issue is not None and issue.id == issue_id:
            return rule
    return None


def match_alert(
    runbook: Runbook, *, origin: str, metric: str | None, issue: str | None, severity: str
) -> Match | None:
    """Return the actions of an alert from what it was linked to, or None: it takes none."""
    rule = rule_for_metric(runbook, metric) if metric else None
    if rule is not None:
        return Match(rule, f"threshold row {rule.metric} (line {rule.line})")
    if origin == "rule":
        return None
    rule = rule_for_issue(runbook, issue)
    if rule is not None:
        return Match(rule, f"threshold row {rule.metric} (line {rule.line}), by issue {issue}")
    routes = alert_routes(runbook.settings)
    route = routes.get(severity.lower()) or routes.get(DEFAULT)
    if route is None:
        return None
    return Match(
        AlertRule(metric="", action=route.text, actions=route.actions),
        f"alert_routes.{route.severity}",
    )
