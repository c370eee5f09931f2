"""Which version is live on each deployment target, from the run records.

A deployment run is a run of a procedure that takes a `VERSION` parameter; the version it
deployed is recorded with the run. What is live is the version of the newest run that
succeeded; the previous one is the version live before it (a rolled-back or failed run
changes neither, and is shown as the last attempt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from opsbook.deploy.views import DeployedView

VERSION_NAMES = ("VERSION", "RELEASE")
SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class DeployRun:
    """A run as the deployment view needs it."""

    id: int
    procedure: str
    host_filter: str | None
    status: str
    params: Mapping[str, object]
    started_at: datetime


def version_of(params: Mapping[str, object]) -> str | None:
    """Return the version a run deployed (its VERSION parameter), or None: not a deployment."""
    for name, value in params.items():
        if name.upper() in VERSION_NAMES and isinstance(value, str) and value:
            return value
    return None


def deployed(runs: Iterable[DeployRun]) -> list[DeployedView]:
    """Return each target's current and previous version; runs given oldest first."""
    by_target: dict[str, list[tuple[DeployRun, str]]] = {}
    for run in runs:
        version = version_of(run.params)
        if version is None:
            continue
        target = run.procedure + (f"@{run.host_filter}" if run.host_filter else "")
        by_target.setdefault(target, []).append((run, version))
    out: list[DeployedView] = []
    for target, items in by_target.items():
        live = [(r, v) for r, v in items if r.status == SUCCEEDED]
        current = live[-1] if live else None
        earlier = [v for _, v in live[:-1] if current is None or v != current[1]]
        last_run, last_version = items[-1]
        out.append(
            DeployedView(
                target=target,
                procedure=last_run.procedure,
                current=current[1] if current else None,
                previous=earlier[-1] if earlier else None,
                current_run=current[0].id if current else None,
                current_at=current[0].started_at if current else None,
                last_version=last_version,
                last_status=last_run.status,
                last_run=last_run.id,
            )
        )
    return sorted(out, key=lambda v: v.target)
