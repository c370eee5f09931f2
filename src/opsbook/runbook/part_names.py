"""The names people give a runbook's parts, each mapped to what the part is.

Headings and bold labels are matched by meaning (`ids.norm`), so "Possible checks",
"Triage" and "Diagnosis Steps" all name an issue's diagnosis.
"""

from __future__ import annotations

PROCEDURE_PARTS = {
    "objective": "objective",
    "purpose": "objective",
    "goal": "objective",
    "frequency": "frequency",
    "schedule": "frequency",
    "parameters": "parameters",
    "inputs": "parameters",
    "prerequisites": "prerequisites",
    "pre requisites": "prerequisites",
    "preflight checks": "prerequisites",
    "pre flight checks": "prerequisites",
    "steps": "steps",
    "instructions": "steps",
    "validation": "validation",
    "post operation checks": "validation",
    "verification": "validation",
    "validation checks": "validation",
    "rollback": "rollback",
    "rollback plan": "rollback",
    "rollback steps": "rollback",
    "restore test schedule": "restore_test_schedule",
}
ISSUE_PARTS = {
    "symptoms": "symptoms",
    "meaning": "symptoms",
    "impact": "symptoms",
    "diagnosis steps": "diagnosis",
    "diagnosis": "diagnosis",
    "diagnostic steps": "diagnosis",
    "diagnostics": "diagnosis",
    "investigation": "diagnosis",
    "investigation steps": "diagnosis",
    "triage": "diagnosis",
    "possible checks": "diagnosis",
    "checks": "diagnosis",
    "troubleshooting steps": "diagnosis",
    # Looking comes first: a part that mixes both never runs a change by itself.
    "diagnosis and mitigation": "diagnosis",
    "resolution": "resolution",
    "mitigation": "resolution",
    "mitigation steps": "resolution",
    "mitigating": "resolution",
    "resolution steps": "resolution",
    "remediation": "resolution",
    "remediation steps": "resolution",
    "fix": "resolution",
    "fixes": "resolution",
    "how to fix": "resolution",
    "solution": "resolution",
    "verification": "resolution",
    "prevention": "prevention",
}
# Sections whose sub-sections are issues when they name their parts.
ALERT_GUIDES = ("common issues", "troubleshooting guide", "troubleshooting")
# Sections whose every sub-section is one alert, parts named or not (`## Alerts`, then
# `### QueueBacklogGrowing` with its prose and commands).
ALERT_LISTS = ("alerts", "playbooks", "alert runbooks", "alert playbooks")
RUNBOOK_PARTS = {
    "purpose": "purpose",
    "system information": "system",
    "emergency contacts": "contacts",
    "contacts": "contacts",
    "system status dashboard": "dashboard",
    "dashboard": "dashboard",
    "key metrics": "metrics",
    "key metrics to monitor": "metrics",
    "alert thresholds": "alert_rules",
    "alert response time": "response_times",
    "alert response times": "response_times",
    "severity levels": "severity_levels",
    "incident response process": "incident_process",
    "if security incident suspected": "security",
    "security incident response": "security",
    "evidence collection": "evidence",
    "regular maintenance tasks": "maintenance_tasks",
    "maintenance tasks": "maintenance_tasks",
    "configuration files": "config_files",
    "environment variables": "env_vars",
    # A database runbook's table of the values it needs: parameters with descriptions.
    "input": "inputs",
    "inputs": "inputs",
    "input variables": "inputs",
    "variables": "inputs",
    "recovery time objective rto": "rto",
    "recovery time objective": "rto",
    "rto": "rto",
    "recovery point objective rpo": "rpo",
    "recovery point objective": "rpo",
    "rpo": "rpo",
    "disaster recovery steps": "dr_steps",
    "useful commands": "useful_commands",
    "log locations": "log_locations",
    "references": "references",
    "version history": "version_history",
}
