"""Unexplained configuration drift raises an alert through the monitoring domain.

Written the way an Alertmanager notification is (`monitoring.ingest`), in the drift
check's transaction, as maintenance raises MaintenanceOverdue: deduplicated by its
fingerprint and start, grouped, linked, silenced by a matching silence, and queued for the
runbook's actions. One alert per file and drifted state: the baseline row remembers the
state it was raised for, so a second check raises nothing, and a file put back (or its
change accepted) resolves it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.deploy.file_state import FileState
from opsbook.deploy.views import DriftView

if TYPE_CHECKING:
    from opsbook.monitoring.alertmanager import AmAlert

ALERT_NAME = "ConfigDrift"
RECEIVER = "opsbook-deploy"


def digest(state: FileState) -> str:
    """Return one string naming a file's state: content, mode, owner (or missing)."""
    if not state.exists:
        return "missing"
    parts = f"{state.sha256}|{state.mode:o}|{state.owner}|{state.group}"
    return hashlib.sha256(parts.encode()).hexdigest()


def drift_alert(view: DriftView, started: datetime, now: datetime, *, firing: bool) -> AmAlert:
    """Return the alert of a file's unexplained drift (or its resolution)."""
    from opsbook.monitoring.alertmanager import AmAlert

    what = ", ".join(
        f"{c.kind} {c.before} → {c.after}" if c.kind in ("mode", "owner") else c.kind
        for c in view.changes
    )
    where = view.path if view.host == "local" else f"{view.host}:{view.path}"
    summary = f"Configuration file {view.file} ({where}) changed outside opsbook: {what}"
    return AmAlert(
        status="firing" if firing else "resolved",
        labels={
            "alertname": ALERT_NAME,
            "file": view.file,
            "host": view.host,
            "severity": "warning",
        },
        annotations={
            "summary": summary if firing else f"Configuration file {view.file} matches again",
            "path": view.path,
        },
        startsAt=started,
        endsAt=None if firing else now,
        fingerprint="config-drift:" + hashlib.sha256(view.key.encode()).hexdigest()[:24],
    )
