"""What the incident pages show, the overview's incidents panel, and the worker's incident
tasks (escalation from the database, page delivery, settling dashboard-started runs)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from opsbook.errors import Refused
from opsbook.evidence import service as evidence
from opsbook.evidence.place import EvidenceDir, evidence_root
from opsbook.evidence.views import CustodyView
from opsbook.incidents import service
from opsbook.incidents.alerts import IncidentOpener
from opsbook.incidents.channels import pager_for
from opsbook.incidents.diagnosis import settle_runs
from opsbook.incidents.guard import plan_reasons
from opsbook.incidents.lifecycle import Status
from opsbook.incidents.paging import deliver_pages, escalate_due
from opsbook.incidents.phases import PhaseView, progress
from opsbook.incidents.severity import UnknownSeverity, severity
from opsbook.incidents.triage import Match
from opsbook.incidents.views import IncidentDetailView
from opsbook.monitoring.hooks import set_incident_opener
from opsbook.procedures.plan import PlanError, build_plan
from opsbook.runbook.model import Procedure, TroubleshootingIssue
from opsbook.web.panels import Panel, PanelItem, register_panel
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

ESCALATE_EVERY = 5.0
SEV_TONE = {0: "bad", 1: "bad", 2: "warn"}


def severity_rank(state: AppState, level: str) -> int:
    """Return the rank of a severity (0 = SEV-1) for its colour; unknown ones rank last."""
    try:
        return severity(state.source.runbook, level).rank
    except UnknownSeverity:
        return 9


@dataclass(frozen=True)
class IncidentPage:
    """What the incident page shows besides the incident: its phase, matches and refusals."""

    incident: IncidentDetailView
    rank: int  # of its severity, for its colour
    phases: tuple[PhaseView, ...]
    matches: list[Match]
    issues: Mapping[str, TroubleshootingIssue | None]
    shutdowns: tuple[Procedure, ...]  # what the guard refuses while it is open
    is_open: bool
    custody: tuple[CustodyView, ...]  # of each piece of its evidence, oldest record first
    custody_problem: str  # why the custody could not be read, if it could not


def evidence_place(state: AppState) -> EvidenceDir:
    """Return the evidence directory of the runbook the app serves."""
    runbook = state.source.runbook
    return EvidenceDir(evidence_root(Path(runbook.path), runbook.settings, state.environ))


def incident_custody(
    state: AppState, incident: IncidentDetailView
) -> tuple[tuple[CustodyView, ...], str]:
    """Return the custody of the incident's evidence, or why the ledger could not be read."""
    hashes = [e.sha256 for e in incident.evidence if e.sha256]
    try:
        found = evidence.incident_custody(
            place=evidence_place(state), incident=incident.id, hashes=hashes
        )
    except Refused as exc:
        return (), exc.message  # the page still shows; `verify` says what is wrong
    return tuple(found), ""


def incident_page_view(state: AppState, incident_id: int) -> IncidentPage:
    """Return everything the incident page shows."""
    runbook = state.source.runbook
    incident = service.show_incident(db=state.db, incident_id=incident_id)
    status = Status(incident.status)
    is_open = status in (Status.DETECTED, Status.ACKNOWLEDGED, Status.MITIGATED)
    matches = service.suggestions(db=state.db, runbook=runbook, incident_id=incident_id)
    shutdowns = []
    if incident.security and is_open:
        for proc in runbook.procedures:
            try:
                plan = build_plan(runbook, target=proc.id, params={}, environ=state.environ)
            except PlanError:
                continue
            if plan_reasons(plan):
                shutdowns.append(proc)
    custody, custody_problem = incident_custody(state, incident)
    return IncidentPage(
        incident=incident,
        rank=severity_rank(state, incident.severity),
        phases=progress(runbook, status),
        matches=matches,
        issues={m.issue_id: runbook.issue(m.issue_id) for m in matches},
        shutdowns=tuple(shutdowns),
        is_open=is_open,
        custody=custody,
        custody_problem=custody_problem,
    )


def incidents_panel(state: AppState) -> Panel:
    """The overview's incidents panel: open incidents, worst first."""
    rows = list(service.list_incidents(db=state.db, only_open=True, limit=20).items)
    rows.sort(key=lambda r: (severity_rank(state, r.severity), r.id))
    items = tuple(
        PanelItem(
            f"{r.severity} #{r.id} {r.title}",
            r.status,
            SEV_TONE.get(severity_rank(state, r.severity), "muted"),
            f"/incidents/{r.id}",
        )
        for r in rows
    )
    note = "" if items else "No open incidents."
    return Panel("incidents", "Incidents", items, note)


def register_incident_panel() -> None:
    """Make the overview's incidents panel live."""
    register_panel("incidents", incidents_panel)


def incident_tasks(state: AppState) -> tuple[Periodic, ...]:
    """Register the alert hook and return the worker's incident tasks: due escalations
    (re-read from the database, so they survive a restart), page delivery, and settling
    runs started from the dashboard."""
    # Alert rules whose action says `incident: SEV-N` open incidents through this opener.
    set_incident_opener(IncidentOpener(state.db, lambda: state.source.runbook))

    def escalate_and_page() -> None:
        runbook = state.source.runbook
        escalate_due(db=state.db, runbook=runbook, now=state.clock())
        pager = pager_for(runbook)
        if pager is not None:
            deliver_pages(
                db=state.db,
                pager=pager,
                now=state.clock(),
                base_url=state.environ.get("OPSBOOK_URL", ""),
            )
        settle_runs(db=state.db, machine=socket.gethostname(), now=state.clock)

    async def tick() -> None:
        await asyncio.to_thread(escalate_and_page)

    return (Periodic("incidents: escalate, page, settle runs", ESCALATE_EVERY, tick),)
