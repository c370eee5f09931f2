"""Cross-checks over a parsed runbook: references that must resolve, and warnings."""

from __future__ import annotations

import re
from collections.abc import Iterator

from opsbook.runbook.alert_routes import alert_routes
from opsbook.runbook.ids import procedure_id
from opsbook.runbook.model import Action, AlertRule, Metric, Runbook, Step
from opsbook.runbook.problems import Problem

WARNING = "warning: "


def validate(runbook: Runbook) -> list[Problem]:
    """Return errors (that stop everything) and warnings (prefixed `warning:`)."""
    path = runbook.path
    found: list[Problem] = []
    found.extend(_duplicate_procedures(runbook))
    found.extend(_unknown_hosts(runbook))
    found.extend(_unknown_metrics(runbook))
    found.extend(_unknown_procedure_references(runbook))
    found.extend(_warnings(runbook))
    return [Problem(p.line, p.message, p.hint, path) for p in found]


def errors(problems: list[Problem]) -> list[Problem]:
    """Keep the problems that are errors."""
    return [p for p in problems if not p.message.startswith(WARNING)]


def warnings(problems: list[Problem]) -> list[Problem]:
    """Keep the problems that are warnings."""
    return [p for p in problems if p.message.startswith(WARNING)]


def all_steps(runbook: Runbook) -> Iterator[Step]:
    """Every check and step in the runbook, wherever it sits."""
    for proc in runbook.procedures:
        yield from (*proc.prerequisites, *proc.steps, *proc.validation, *proc.rollback)
    for issue in runbook.troubleshooting:
        yield from (*issue.diagnosis, *issue.resolution)
    yield from runbook.disaster_recovery.steps


def _duplicate_procedures(runbook: Runbook) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for proc in runbook.procedures:
        if proc.id in seen:
            yield Problem(
                proc.line,
                f'procedure "{proc.name}" is defined twice (first at line {seen[proc.id]})',
                "give each procedure its own name; its id is the name without 'Procedure'",
            )
        else:
            seen[proc.id] = proc.line


def _unknown_hosts(runbook: Runbook) -> Iterator[Problem]:
    for step in all_steps(runbook):
        host = step.attrs.host
        if host and not runbook.hosts_for(host):
            known = ", ".join([*runbook.hosts, *runbook.groups, "all"])
            yield Problem(
                step.line,
                f'step names host "{host}", which the front matter does not define',
                f"define it under `hosts:` in the front matter (known: {known})",
            )


def metric_for(runbook: Runbook, name: str) -> Metric | None:
    """Find the metric an alert rule names: by name, id or source, ignoring case."""
    wanted = _key(name)
    for metric in runbook.metrics:
        keys = {_key(metric.name), metric.id, _key(metric.source)}
        if metric.source:
            keys.add(_key(metric.source.split(":", 1)[1]))
        if wanted in keys:
            return metric
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unknown_metrics(runbook: Runbook) -> Iterator[Problem]:
    for rule in runbook.alert_rules:
        if metric_for(runbook, rule.metric) is None:
            known = ", ".join(m.name for m in runbook.metrics) or "none yet"
            yield Problem(
                rule.line,
                f'alert threshold on metric "{rule.metric}", which Key Metrics does not define',
                f"add it to Key Metrics to Monitor with a source, e.g. "
                f"- {rule.metric}: `host:cpu_percent` (defined: {known})",
            )


def _unknown_procedure_references(runbook: Runbook) -> Iterator[Problem]:
    ids = ", ".join(p.id for p in runbook.procedures)
    for proc in runbook.procedures:
        target = proc.rollback_procedure
        if target and runbook.procedure(target) is None:
            yield Problem(
                proc.line,
                f'rollback of "{proc.name}" runs unknown procedure "{target}"',
                f"known procedures: {ids}",
            )
    for rule in runbook.alert_rules:
        yield from _rule_actions(runbook, rule, ids)
    for route in alert_routes(runbook.settings).values():
        for action in route.actions:
            if action.kind == "run" and runbook.procedure(_procedure_ref(action.target)) is None:
                yield Problem(
                    1,
                    f"front matter `alert_routes.{route.severity}.run` names unknown procedure "
                    f'"{action.target}"',
                    f"known procedures: {ids}",
                )


def _rule_actions(runbook: Runbook, rule: AlertRule, ids: str) -> Iterator[Problem]:
    for action in rule.actions:
        if action.kind == "run" and runbook.procedure(_procedure_ref(action.target)) is None:
            yield Problem(
                rule.line,
                f'alert action runs unknown procedure "{action.target}"',
                f"known procedures: {ids}",
            )
        if action.kind == "incident" and not re.fullmatch(r"SEV-?\d", action.target, re.I):
            yield Problem(
                rule.line,
                f'alert action opens incident "{action.target}", which is not a severity',
                "write incident: SEV-1 .. SEV-4",
            )


def _procedure_ref(text: str) -> str:
    return procedure_id(text)


def _warnings(runbook: Runbook) -> Iterator[Problem]:
    recovery = runbook.disaster_recovery
    for kind, text, seconds in (
        ("RTO", recovery.rto_text, recovery.rto_seconds),
        ("RPO", recovery.rpo_text, recovery.rpo_seconds),
    ):
        if text and seconds is None:
            yield Problem(
                0,
                f'{WARNING}the {kind} "{text}" names no duration; it is kept as text',
                "start it with a duration such as `4 hours` to have it measured",
            )
    for proc in runbook.procedures:
        if not proc.steps:
            yield Problem(proc.line, f'{WARNING}procedure "{proc.name}" has no steps')
        elif not proc.validation:
            yield Problem(
                proc.line,
                f'{WARNING}procedure "{proc.name}" has no validation checks',
                "add **Validation**: with checks that prove it worked",
            )
    for contact in runbook.contacts:
        if contact.name and not contact.backup:
            yield Problem(
                contact.line,
                f'{WARNING}contact "{contact.role}" has no backup',
                "escalation needs someone to page when the primary does not answer",
            )
    for metric in runbook.metrics:
        if not metric.source:
            yield Problem(
                metric.line,
                f'{WARNING}metric "{metric.name}" has no source and will not be collected',
                "add one such as `host:cpu_percent`",
            )
    for rule in runbook.alert_rules:
        yield from _unknown_roles(runbook, rule.actions, rule.line, "alert")
    for route in alert_routes(runbook.settings).values():
        yield from _unknown_roles(runbook, route.actions, 1, f"alert_routes.{route.severity}")


def _unknown_roles(
    runbook: Runbook, actions: tuple[Action, ...], line: int, who: str
) -> Iterator[Problem]:
    for action in actions:
        if action.kind == "notify" and not _has_role(runbook, action.target):
            yield Problem(
                line,
                f'{WARNING}{who} notifies "{action.target}", who is not in Emergency Contacts',
            )


def _has_role(runbook: Runbook, role: str) -> bool:
    wanted = _key(role)
    return any(wanted in (_key(c.role), _key(c.name)) for c in runbook.contacts)
