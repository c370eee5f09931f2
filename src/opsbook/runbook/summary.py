"""Counts per section, for `opsbook check` and the dashboard header."""

from __future__ import annotations

from opsbook.runbook.model import Runbook
from opsbook.runbook.step_safety import attendances


def summarize(runbook: Runbook) -> dict[str, int]:
    """Return how many items each section of the runbook holds."""
    steps = sum(len(p.steps) for p in runbook.procedures)
    # Steps that run by themselves: a command a person would not leave to a tool is not one.
    automated = sum(
        1 for p in runbook.procedures for a in attendances(p.steps, "steps") if not a.needs_person
    )
    return {
        "procedures": len(runbook.procedures),
        "steps": steps,
        "automated steps": automated,
        "contacts": len(runbook.contacts),
        "hosts": len(runbook.hosts),
        "metrics": len(runbook.metrics),
        "alert rules": len(runbook.alert_rules),
        "troubleshooting issues": len(runbook.troubleshooting),
        "severity levels": len(runbook.severity_levels),
        "maintenance tasks": len(runbook.maintenance_tasks),
        "config files": len(runbook.config_files),
        "env vars": len(runbook.env_vars),
        "DR steps": len(runbook.disaster_recovery.steps),
        "useful commands": len(runbook.useful_commands),
    }
