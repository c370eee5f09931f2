"""The runbook model as plain JSON data: the `opsbook inspect --json` contract.

Both entry points, `runbook_data` and `procedure_data`, serialize the redacted view
(`redact.public_runbook`): what they return goes to readers (viewers of the API, scripts),
never credentials or secret values.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from opsbook.runbook.model import Procedure, Runbook, Schedule, Step, TroubleshootingIssue
from opsbook.runbook.redact import public_procedure, public_runbook
from opsbook.runbook.step_safety import Attendance, attendance, attendances


def steps_data(steps: tuple[Step, ...], part: str) -> list[dict[str, Any]]:
    """Return a part's checks or steps in order, each with who runs it and why."""
    return [step_data(s, part, d) for s, d in zip(steps, attendances(steps, part), strict=True)]


def step_data(
    step: Step, part: str = "steps", decision: Attendance | None = None
) -> dict[str, Any]:
    """Return a check or step as `{text, command, attrs, line}` (+ placeholders, who, why)."""
    decision = decision or attendance(step, part)
    return {
        "text": step.text,
        "command": step.command,
        "attrs": step.attrs.written(),
        "line": step.line,
        "placeholders": list(step.placeholders),
        "who": str(decision.who),
        "why": decision.why,
    }


def schedule_data(schedule: Schedule | None) -> dict[str, Any] | None:
    return None if schedule is None else asdict(schedule)


def procedure_data(runbook: Runbook, proc: Procedure) -> dict[str, Any]:
    """Return one of the runbook's procedures as JSON-ready data, secret defaults hidden."""
    return _procedure_fields(public_procedure(runbook, proc))


def _procedure_fields(proc: Procedure) -> dict[str, Any]:
    return {
        "name": proc.name,
        "id": proc.id,
        "line": proc.line,
        "objective": proc.objective,
        "frequency": proc.frequency.text if proc.frequency else None,
        "schedule": schedule_data(proc.frequency),
        "parameters": [asdict(p) for p in proc.parameters],
        "prerequisites": steps_data(proc.prerequisites, "prerequisites"),
        "steps": steps_data(proc.steps, "steps"),
        "validation": steps_data(proc.validation, "validation"),
        "rollback": steps_data(proc.rollback, "rollback"),
        "rollback_procedure": proc.rollback_procedure,
        "restore_test_schedule": proc.restore_test_schedule.text
        if proc.restore_test_schedule
        else None,
        "notes": proc.notes,
    }


def issue_data(issue: TroubleshootingIssue) -> dict[str, Any]:
    return {
        "title": issue.title,
        "id": issue.id,
        "line": issue.line,
        "symptoms": list(issue.symptoms),
        "diagnosis": steps_data(issue.diagnosis, "diagnosis"),
        "resolution": steps_data(issue.resolution, "resolution"),
        "prevention": list(issue.prevention),
        "diagnosis_notes": issue.diagnosis_notes,
        "resolution_notes": issue.resolution_notes,
        "source": issue.source,
    }


def runbook_data(runbook: Runbook) -> dict[str, Any]:
    """Return the whole model as JSON-ready data, credentials and secret values hidden."""
    runbook = public_runbook(runbook)
    dr = runbook.disaster_recovery
    return {
        "path": runbook.path,
        "title": runbook.title,
        "purpose": runbook.purpose,
        "system": asdict(runbook.system),
        "contacts": [asdict(c) for c in runbook.contacts],
        "hosts": {
            name: {"address": h.address, "user": h.user, "port": h.port}
            for name, h in runbook.hosts.items()
        },
        "groups": {name: list(members) for name, members in runbook.groups.items()},
        "settings": runbook.settings,
        "dashboard": runbook.dashboard,
        "procedures": [_procedure_fields(p) for p in runbook.procedures],
        "metrics": [
            {
                "name": m.name,
                "id": m.id,
                "source": m.source,
                "kind": m.kind if m.source else None,
                "description": m.description,
                "attrs": m.attrs.written(),
                "line": m.line,
            }
            for m in runbook.metrics
        ],
        "alert_rules": [
            {
                "metric": r.metric,
                "warning": asdict(r.warning) if r.warning else None,
                "critical": asdict(r.critical) if r.critical else None,
                "action": r.action,
                "actions": [asdict(a) for a in r.actions],
                "for_seconds": r.for_seconds,
                "extra": dict(r.extra),
                "line": r.line,
            }
            for r in runbook.alert_rules
        ],
        "response_times": asdict(runbook.response_times),
        "troubleshooting": [issue_data(i) for i in runbook.troubleshooting],
        "severity_levels": [asdict(s) for s in runbook.severity_levels],
        "incident_process": [asdict(p) for p in runbook.incident_process],
        "security_response": asdict(runbook.security_response),
        "maintenance_tasks": [
            {
                "task": t.task,
                "frequency": t.frequency.text if t.frequency else None,
                "schedule": schedule_data(t.frequency),
                "owner": t.owner,
                "last_completed": t.last_completed,
                "next_due": t.next_due,
                "extra": dict(t.extra),
                "line": t.line,
            }
            for t in runbook.maintenance_tasks
        ],
        "config_files": [asdict(c) for c in runbook.config_files],
        "env_vars": [asdict(e) for e in runbook.env_vars],
        "disaster_recovery": {
            "rto_seconds": dr.rto_seconds,
            "rpo_seconds": dr.rpo_seconds,
            "rto_text": dr.rto_text,
            "rpo_text": dr.rpo_text,
            "steps": steps_data(dr.steps, "steps"),
        },
        "log_locations": list(runbook.log_locations),
        "useful_commands": [asdict(c) for c in runbook.useful_commands],
        "references": list(runbook.references),
        "version_history": [asdict(v) for v in runbook.version_history],
        "extra_sections": [asdict(s) for s in runbook.extra_sections],
    }
