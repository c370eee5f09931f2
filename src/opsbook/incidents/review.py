"""Use cases of the post-incident review: write the post-mortem, teach the runbook."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.errors import BadInput
from opsbook.files import write_atomically
from opsbook.incidents import queries
from opsbook.incidents.evidence_capture import capture_all, log_paths
from opsbook.incidents.postmortem import issue_from, render
from opsbook.incidents.rows import evidence_view
from opsbook.incidents.service import locked, show_incident
from opsbook.incidents.severity import UnknownSeverity, severity
from opsbook.incidents.tables import EvidenceRow
from opsbook.incidents.views import EvidenceView, PostmortemView, TaughtView
from opsbook.runbook.editor import EditRefused, VersionRow, add_troubleshooting_issue

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database


def _write_private(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text, mode=0o600)


def write_postmortem(
    *, db: Database, runbook: Runbook, incident_id: int, target: Path, actor: str, now: datetime
) -> PostmortemView:
    """Write the incident's post-mortem (Markdown) to `target`; record it in the timeline."""
    data = show_incident(db=db, incident_id=incident_id)
    try:
        level = severity(runbook, data.severity)
        severity_text = level.description
    except UnknownSeverity:
        severity_text = ""
    text = render(
        data, severity_text=severity_text, generated_at=now.strftime("%Y-%m-%d %H:%M UTC")
    )
    _write_private(target, text)
    with db.transaction() as session:
        locked(session, incident_id)
        queries.add_event(
            session,
            incident_id,
            at=now,
            actor=actor,
            kind="postmortem",
            text=f"Post-mortem written to {target}",
            data={"path": str(target)},
        )
    return PostmortemView(incident=incident_id, path=str(target), markdown=text)


def teach_runbook(
    *,
    db: Database,
    runbook_path: Path,
    incident_id: int,
    actor: str,
    now: datetime,
    title: str | None = None,
) -> TaughtView:
    """Add the incident's lesson as a new troubleshooting issue to the runbook file, in
    place, with a Version History row; record it in the timeline."""
    data = show_incident(db=db, incident_id=incident_id)
    issue = issue_from(data, title)
    row = VersionRow(
        date=now.strftime("%Y-%m-%d"),
        author=actor,
        changes=f'Added troubleshooting issue "{issue.title}" from the '
        f"post-mortem of incident {incident_id}",
    )
    try:
        edit = add_troubleshooting_issue(runbook_path, issue, row)
    except EditRefused as exc:
        raise BadInput(f"{runbook_path}: {exc}") from None
    with db.transaction() as session:
        locked(session, incident_id)
        queries.add_event(
            session,
            incident_id,
            at=now,
            actor=actor,
            kind="runbook",
            text=f'Added troubleshooting issue "{issue.title}" to {runbook_path} '
            f"(version {edit.version})",
            data={"path": str(runbook_path), "version": edit.version},
        )
    return TaughtView(
        incident=incident_id, path=str(runbook_path), issue=issue.title, version=edit.version
    )


def capture_logs(
    *, db: Database, runbook: Runbook, incident_id: int, vault: Path, actor: str, now: datetime
) -> list[EvidenceView]:
    """Collect the runbook's log files into the evidence vault and attach them to the incident."""
    base = Path(runbook.path).resolve().parent
    paths = log_paths(runbook.log_locations)
    captured = capture_all(paths, base, vault, actor=actor, now=now, incident=incident_id)
    with db.transaction() as session:
        locked(session, incident_id)
        rows = [
            EvidenceRow(
                incident_id=incident_id,
                source=c.source,
                sha256=c.sha256,
                size=c.size,
                stored_as=c.stored_as,
                captured_at=now,
                problem=c.problem,
            )
            for c in captured
        ]
        for row in rows:
            queries.add(session, row)
        kept = sum(1 for c in captured if c.sha256)
        missing = [f"{c.source} ({c.problem})" for c in captured if c.problem]
        text = f"Captured {kept} log file{'s' if kept != 1 else ''} as evidence"
        if missing:
            text += "; not captured: " + ", ".join(missing)
        if not captured:
            text = "No log locations in the runbook to capture"
        queries.add_event(
            session,
            incident_id,
            at=now,
            actor=actor,
            kind="evidence",
            text=text,
            data={"files": [c.sha256 for c in captured if c.sha256]},
        )
        return [evidence_view(r) for r in rows]
