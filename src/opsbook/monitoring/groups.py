"""Alertmanager groups take the runbook's actions, off the request path.

The webhook stores a notification and queues a `GROUP_JOB` naming the alerts it brought or
resolved (`ingest.py`); the worker runs `GroupActions.handle` for it. The new alerts of a
group are matched to the runbook (`matching.py`) and become one notice per group and
matched row, carried by the group's most urgent alert and listing the others: one page per
group, not one per alert; alerts joining a group whose page is out (its alert still open)
are noted on it without a second page. From there it is the rule alerts' path:
`AlertActions` notifies (muted by silences and maintenance windows), runs, opens incidents;
`due_escalations` pages the backup when nobody acknowledges the paged alert within the Alert
Response Time of its severity. When Alertmanager says the whole group resolved, the
resolved notice resolves what the firing one opened.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.ingest import GROUP_JOB
from opsbook.monitoring.lifecycle import OPEN, AlertState
from opsbook.monitoring.matching import Match, match_alert
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.monitoring.queries import note
from opsbook.monitoring.settings import SettingsError, monitoring_settings
from opsbook.monitoring.tables import AlertEventRow, AlertRow
from opsbook.monitoring.windows import MaintenanceWindow, in_maintenance
from opsbook.runbook.model import Runbook
from opsbook.worker.queue import Job

if TYPE_CHECKING:
    from opsbook.store.database import Database

__all__ = ["GROUP_JOB", "GroupActions", "group_notices", "group_summary"]
log = logging.getLogger("opsbook.monitoring")
# A page lists this many of its group's alerts, then says how many more.
LISTED = 20
# The history lines that say an alert took its group's actions when it fired.
MATCHED, GROUPED = "matched", "grouped"
# Most urgent first; a group's notice has the severity of its most urgent alert.
_URGENCY = ("critical", "high", "error", "warning", "medium", "low", "info")


def _urgency(severity: str) -> int:
    return _URGENCY.index(severity) if severity in _URGENCY else len(_URGENCY)


def _lead_order(row: AlertRow) -> tuple[int, int]:
    return _urgency(row.severity), row.id


def group_summary(rows: Sequence[AlertRow], verb: str) -> str:
    """Say what a page is about: the one alert's summary, or the group's alerts listed."""
    if len(rows) == 1:
        row = rows[0]
        if verb == "firing":
            return row.summary or f"{row.name} is firing"
        # Its summary says what was wrong when it fired, not now.
        return f"{row.name} is {verb}" + (f" (it said: {row.summary})" if row.summary else "")
    lines = [f"{len(rows)} alerts {verb} in this Alertmanager group:"]
    for row in rows[:LISTED]:
        where = row.labels.get("instance") or row.labels.get("job") or ""
        said = f": {row.summary}" if row.summary else ""
        lines.append(f"- #{row.id} {row.name}{f' on {where}' if where else ''}{said}")
    if len(rows) > LISTED:
        lines.append(f"... and {len(rows) - LISTED} more")
    return "\n".join(lines)


def _by_match(runbook: Runbook, rows: list[AlertRow]) -> list[tuple[Match, list[AlertRow]]]:
    """Split a group's alerts by the actions they take, in order of their first alert."""
    parts: dict[str, tuple[Match, list[AlertRow]]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        match = match_alert(
            runbook, origin=row.origin, metric=row.metric, issue=row.issue, severity=row.severity
        )
        if match is not None:
            parts.setdefault(match.via, (match, []))[1].append(row)
    return list(parts.values())


def _paged(session: Session, runbook: Runbook, group: str, new: list[AlertRow]) -> dict[str, int]:
    """Return the open alerts of the group already paged, by what they matched."""
    if not group:
        return {}
    fresh = {row.id for row in new}
    query = select(AlertRow).where(
        AlertRow.state.in_([str(state) for state in OPEN]),
        AlertRow.group_key == group,
        AlertRow.notified_at.is_not(None),
    )
    paged = [row for row in session.scalars(query.order_by(AlertRow.id)) if row.id not in fresh]
    return {match.via: part[0].id for match, part in _by_match(runbook, paged)}


def _acted(session: Session, ids: list[int]) -> set[int]:
    """Return which of these alerts took their group's actions when they fired."""
    if not ids:
        return set()
    query = select(AlertEventRow.alert_id).where(
        AlertEventRow.alert_id.in_(ids), AlertEventRow.kind.in_((MATCHED, GROUPED))
    )
    return set(session.scalars(query))


def group_notices(
    *,
    db: Database,
    runbook: Runbook,
    group: str,
    fired: list[str],
    resolved: list[str],
    group_resolved: bool,
    windows: tuple[MaintenanceWindow, ...],
    now: datetime,
) -> list[Notice]:
    """Return the notices a group's new and resolved alerts (by key) act on, and note them.

    New alerts joining a group whose page went out (its alert still open) are noted on it,
    not paged again."""
    notices: list[Notice] = []
    with db.transaction() as session:
        keys = list({*fired, *resolved})
        rows = {r.key: r for r in session.scalars(select(AlertRow).where(AlertRow.key.in_(keys)))}
        firing = (AlertState.FIRING.value, AlertState.SILENCED.value)
        new = [rows[k] for k in fired if k in rows and rows[k].state in firing]
        window = in_maintenance(windows, now)
        paged = _paged(session, runbook, group, new) if new else {}
        for match, part in _by_match(runbook, new):
            lead_id = paged.get(match.via)
            if lead_id is not None:
                for row in part:
                    note(session, row.id, GROUPED, now, detail=f"joined alert #{lead_id}'s page")
                continue
            heard = [r for r in part if r.state != AlertState.SILENCED.value]
            listed, muted = heard, None
            if not heard:
                listed, muted = part, f"silenced by silence #{part[0].silence_id}"
            elif window is not None:
                muted = f"maintenance window {window.text}"
                for row in heard:
                    row.in_maintenance = True
            # The most urgent alert carries the page: its severity sets the response time.
            listed.sort(key=_lead_order)
            lead = listed[0]
            note(session, lead.id, MATCHED, now, detail=f"takes the actions of {match.via}")
            for row in listed[1:]:
                note(session, row.id, GROUPED, now, detail=f"paged with alert #{lead.id}")
            notices.append(_notice(NoticeKind.FIRED, match, listed, muted, "firing"))
        if group_resolved:
            # Only what was paged (or muted) when it fired ends with a page: an alert that
            # resolved before the worker came to it fired nothing and resolves nothing.
            acted = _acted(session, [rows[k].id for k in resolved if k in rows])
            ended = [rows[k] for k in resolved if k in rows and rows[k].id in acted]
            for match, part in _by_match(runbook, ended):
                quiet = all(r.silence_id is not None or r.in_maintenance for r in part)
                muted = "nobody was paged when it fired" if quiet else None
                part.sort(key=_lead_order)
                notices.append(_notice(NoticeKind.RESOLVED, match, part, muted, "resolved"))
    return notices


def _notice(
    kind: NoticeKind, match: Match, rows: list[AlertRow], muted: str | None, verb: str
) -> Notice:
    lead = rows[0]
    summary = group_summary(rows, verb)
    return Notice(kind, lead.id, lead.name, lead.severity, summary, match.rule, lead.issue, muted)


class GroupActions:
    """The worker's handler of `GROUP_JOB`: an Alertmanager group takes its actions."""

    def __init__(
        self,
        db: Database,
        runbook: Callable[[], Runbook],
        clock: Callable[[], datetime],
        actions: AlertActions,
    ) -> None:
        self.db, self.runbook, self.clock, self.actions = db, runbook, clock, actions
        # A group's jobs run one after another, in the order they were queued (the worker
        # starts them in that order; asyncio's locks are fair): a resolution never overtakes
        # the page that opened what it resolves. Different groups run side by side.
        self._groups: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def handle(self, job: Job) -> None:
        """Act on the alerts one notification brought or resolved, after the group's earlier
        jobs."""
        group = str(job.payload.get("group", ""))
        lock, users = self._groups.setdefault(group, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await self._act(job, group)
        finally:
            users[0] -= 1
            if not users[0]:
                del self._groups[group]

    async def _act(self, job: Job, group: str) -> None:
        runbook = self.runbook()
        try:
            windows = monitoring_settings(runbook.settings).windows
        except SettingsError as exc:
            log.warning("maintenance windows are not applied: %s", exc)
            windows = ()
        notices = await asyncio.to_thread(
            group_notices,
            db=self.db,
            runbook=runbook,
            fired=[str(k) for k in job.payload.get("fired", [])],
            resolved=[str(k) for k in job.payload.get("resolved", [])],
            group=group,
            group_resolved=job.payload.get("status") == "resolved",
            windows=windows,
            now=self.clock(),
        )
        for notice in notices:
            await self.actions.handle(notice)
