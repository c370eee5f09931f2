"""Act on alert notices: notify roles (escalating to the backup), run procedures once per
firing, open incidents, and show free-text actions. The I/O edge of monitoring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.monitoring.hooks import IncidentOpener, ProcedureStarter, incident_opener
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.monitoring.service import add_event, attach_run, claim_run, mark_notified
from opsbook.notify.base import Message
from opsbook.notify.delivery import Sleep
from opsbook.notify.service import notify_role
from opsbook.notify.settings import NotifySettingsError, notify_settings
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database

log = logging.getLogger("opsbook.monitoring")
VERBS = {
    NoticeKind.FIRED: "FIRING",
    NoticeKind.ESCALATED: "ESCALATED",
    NoticeKind.RESOLVED: "RESOLVED",
    NoticeKind.UNACKNOWLEDGED: "NOT ACKNOWLEDGED",
}


class AlertActions:
    """Carries out the Action column of the rule behind each notice."""

    def __init__(
        self,
        db: Database,
        runbook: Callable[[], Runbook],
        clock: Callable[[], datetime],
        *,
        starter: ProcedureStarter | None = None,
        incidents: IncidentOpener | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db, self.runbook, self.clock = db, runbook, clock
        self.starter, self.incidents, self.sleep = starter, incidents, sleep

    async def handle(self, notice: Notice) -> None:
        """Do what the rule's actions say for this notice, recording each on the alert."""
        runbook = self.runbook()
        rule = notice.rule
        if rule is None:
            return
        for action in rule.actions:
            try:
                if action.kind == "notify":
                    await self._notify(runbook, notice, action.target)
                elif notice.kind is NoticeKind.FIRED and action.kind == "run":
                    await self._run(notice, action.target)
                elif notice.kind is NoticeKind.FIRED and action.kind == "incident":
                    await self._incident(notice, action.target)
                elif notice.kind is NoticeKind.RESOLVED and action.kind == "incident":
                    await self._resolved_incident(notice)
                elif notice.kind is NoticeKind.FIRED and action.kind == "text":
                    await self._note(notice.alert_id, "action", f"for people: {action.target}")
            except Exception as exc:  # one failing action must not stop the others
                log.exception(
                    "action %s:%s for alert %s failed", action.kind, action.target, notice.alert_id
                )
                await self._note(
                    notice.alert_id, "action failed", f"{action.kind}: {action.target}: {exc}"
                )

    async def _notify(self, runbook: Runbook, notice: Notice, role: str) -> None:
        if notice.muted:
            await self._note(notice.alert_id, "not notified", f"{role}: {notice.muted}")
            return
        try:
            settings = notify_settings(runbook.settings)
        except NotifySettingsError as exc:
            await self._note(notice.alert_id, "not notified", f"{role}: {exc}")
            return
        backup = notice.kind is NoticeKind.UNACKNOWLEDGED
        attempts = await notify_role(
            db=self.db,
            runbook=runbook,
            settings=settings,
            role=role,
            message=self._message(runbook, notice),
            clock=self.clock,
            backup=backup,
            sleep=self.sleep,
        )
        sent = sorted({a.target for a in attempts if a.ok})
        who = f"{role}{' (backup)' if backup else ''}"
        detail = f"{who}: sent to {', '.join(sent)}" if sent else f"{who}: nothing was delivered"
        await self._note(notice.alert_id, "notified" if sent else "notify failed", detail)
        if sent and notice.kind is NoticeKind.FIRED:
            await asyncio.to_thread(
                mark_notified, db=self.db, alert_id=notice.alert_id, now=self.clock()
            )

    def _message(self, runbook: Runbook, notice: Notice) -> Message:
        name = runbook.system.name or runbook.title or "opsbook"
        base = str(runbook.settings.get("dashboard_url") or "").rstrip("/")
        link = f"{base}/alerts/{notice.alert_id}" if base else ""
        severity = "resolved" if notice.kind is NoticeKind.RESOLVED else notice.severity
        subject = f"[{name}] {VERBS[notice.kind]} {notice.severity}: {notice.name}"
        text = notice.summary
        if notice.kind is NoticeKind.UNACKNOWLEDGED:
            text += ". Nobody acknowledged it within the response time; you are the backup."
        if notice.issue:
            text += f"\nTroubleshooting: {notice.issue}"
        return Message(subject, text, severity, link, notice.alert_id)

    async def _run(self, notice: Notice, procedure: str) -> None:
        if self.starter is None:
            await self._note(notice.alert_id, "run skipped", f"{procedure}: no procedure engine")
            return
        # Once per firing: the claim fails if this alert already started a run.
        if not await asyncio.to_thread(claim_run, db=self.db, alert_id=notice.alert_id):
            return
        run_id = await self.starter.start(
            procedure=procedure, alert_id=notice.alert_id, reason=notice.summary
        )

        await asyncio.to_thread(
            attach_run,
            db=self.db,
            alert_id=notice.alert_id,
            run_id=run_id,
            procedure=procedure,
            now=self.clock(),
        )

    async def _incident(self, notice: Notice, severity: str) -> None:
        opener = self.incidents or incident_opener()
        if opener is None:
            await self._note(
                notice.alert_id,
                "incident",
                f"{severity} requested ({notice.summary}); incident tracking is not "
                "available, so it is recorded here",
            )
            return
        incident_id = await asyncio.to_thread(opener.open, notice, severity, self.clock())
        await self._note(notice.alert_id, "incident", f"{severity}: incident {incident_id}")

    async def _resolved_incident(self, notice: Notice) -> None:
        opener = self.incidents or incident_opener()
        if opener is not None:
            incident_id = await asyncio.to_thread(opener.resolved, notice, self.clock())
            if incident_id is not None:
                await self._note(notice.alert_id, "incident", f"noted in incident {incident_id}")

    async def _note(self, alert_id: int, kind: str, detail: str) -> None:
        await asyncio.to_thread(
            add_event, db=self.db, alert_id=alert_id, kind=kind, detail=detail, now=self.clock()
        )
