"""Every rule `opsbook export prometheus-rules` writes comes back to its own threshold row."""

from __future__ import annotations

from opsbook.monitoring.linking import link_alert, metric_named
from opsbook.monitoring.matching import match_alert
from opsbook.monitoring.prometheus_rules import prometheus_rules
from opsbook.runbook.parser import parse_runbook

TEXT = """# Shop

### Key Metrics

- **Request rate**: requests per second — `prom:sum(rate(http_requests_total[5m]))`
- HTTP 5xx ratio: `prom:sum(rate(errors[5m])) / sum(rate(requests[5m]))`
- Disk usage: `host:disk_percent:/`

### Alert Thresholds

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Request rate | < 10 | < 1 | 5m | notify: Primary Owner |
| HTTP 5xx ratio | > 0.01 | > 0.05 | - | incident: SEV-2 |
| Disk usage | > 80 | > 90 | - | notify: Operations Lead |

## Troubleshooting Guide

### Common Issues

#### Issue: Errors spike

**Symptoms**:
- The HTTP 5xx ratio alert fires
"""


def test_each_exported_rule_matches_the_row_it_came_from() -> None:
    runbook = parse_runbook(TEXT, "shop.md")
    rows = {}
    for rule in runbook.alert_rules:
        metric = metric_named(runbook, rule.metric)
        assert metric is not None
        rows[metric.id] = rule
    exported = prometheus_rules(runbook).document["groups"][0]["rules"]
    assert len(exported) == 4  # two levels of two prom: metrics; the host: one stays here
    for entry in exported:
        expected = rows[entry["labels"]["metric"]]
        full = {"alertname": entry["alert"], **entry["labels"]}
        by_name = {"alertname": entry["alert"], "severity": entry["labels"]["severity"]}
        # With every label the exporter writes, by its alertname alone, or by its runbook_url.
        for labels, notes in ((full, entry["annotations"]), (by_name, {})):
            link = link_alert(runbook, labels, notes)
            match = match_alert(
                runbook,
                origin="alertmanager",
                metric=link.metric,
                issue=link.issue,
                severity=labels["severity"],
            )
            assert match is not None and match.rule is expected, entry["alert"]
        url_only = {"alertname": "Renamed", "severity": "warning"}
        link = link_alert(runbook, url_only, entry["annotations"])
        match = match_alert(
            runbook, origin="alertmanager", metric=link.metric, issue=link.issue, severity="x"
        )
        assert match is not None and match.rule is expected, entry["annotations"]
