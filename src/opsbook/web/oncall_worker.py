"""The worker's handoff task: what is open (incidents, alerts, runs, overdue maintenance),
told to the outgoing and incoming people through the runbook's notification channels.

The face wires the on-call domain's `OpenWork` and `HandoffSender` to the domains that know
these things, so `oncall` imports none of them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr

from opsbook.errors import DomainError
from opsbook.incidents.service import list_incidents
from opsbook.maintenance.service import list_tasks
from opsbook.maintenance.tasks import task_specs
from opsbook.monitoring.service import list_alerts
from opsbook.notify.base import Message
from opsbook.notify.service import channels_for
from opsbook.notify.settings import notify_settings
from opsbook.oncall.announce import announce_handoffs
from opsbook.oncall.model import Member
from opsbook.procedures.service import list_runs
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

log = logging.getLogger(__name__)
HANDOFF_EVERY = 60.0  # seconds
SHOWN = 5  # items of each kind named in the note


class ServerOpenWork:
    """What is open in this server's database, as lines for a handoff note."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def lines(self, now: datetime) -> Sequence[str]:
        """Return one line per open incident, firing alert, running run and overdue task."""
        db, lines = self.state.db, []
        for incident in list_incidents(db=db, only_open=True, limit=SHOWN).items:
            lines.append(
                f"Incident {incident.id} [{incident.severity}] {incident.status}: {incident.title}"
            )
        for alert in list_alerts(db=db, state="open", limit=SHOWN).items:
            lines.append(f"Alert {alert.id} {alert.state} ({alert.severity}): {alert.name}")
        runs = list_runs(db=db, machine=socket.gethostname(), now=self.state.clock, limit=50)
        for run in [r for r in runs if r.status in ("running", "waiting")][:SHOWN]:
            lines.append(f"Run {run.id} of {run.procedure} is {run.status}")
        try:
            specs = task_specs(self.state.source.runbook)
        except DomainError:
            specs = []
        for task in list_tasks(db=db, specs=specs, now=now):
            if task.standing == "overdue":
                lines.append(f"Maintenance overdue: {task.name} (owner {task.owner or 'none'})")
        return lines


class ChannelSender:
    """Sends a handoff note by the runbook's email channel (and posts it to its webhooks)."""

    def __init__(self, state: AppState) -> None:
        self.settings = notify_settings(state.source.runbook.settings)

    def send(self, person: Member, subject: str, text: str) -> None:
        """Email the person; raise when there is no way to reach them."""
        asyncio.run(self._send(person, subject, text))

    async def _send(self, person: Member, subject: str, text: str) -> None:
        email, webhook = channels_for(self.settings)
        message = Message(subject, text, "info")
        if webhook is not None:
            for url in self.settings.webhooks:
                await webhook.send(url, Message(subject, f"For {person.label}: {text}", "info"))
        if email is None:
            raise RuntimeError("no email channel in the front matter's `notifications:`")
        if not person.address:
            raise RuntimeError(f"{person.name} has no email address in the rotation or contacts")
        await email.send(formataddr((person.name, person.address)), message)


def oncall_tasks(state: AppState) -> tuple[Periodic, ...]:
    """Return the worker's handoff task: announce each handoff once, with what is open."""

    def tick() -> None:
        runbook = state.source.runbook
        if "oncall" not in runbook.settings:
            return
        try:
            done = announce_handoffs(
                db=state.db,
                runbook=runbook,
                now=state.clock(),
                open_work=ServerOpenWork(state),
                sender=ChannelSender(state),
            )
        except DomainError as exc:
            log.warning("on-call handoffs: %s", exc)
            return
        for item in done:
            log.info("on-call handoff %s/%s: %s", item.rotation, item.layer, item.outcome)

    async def run() -> None:
        await asyncio.to_thread(tick)

    return (Periodic("oncall: announce handoffs", HANDOFF_EVERY, run),)
