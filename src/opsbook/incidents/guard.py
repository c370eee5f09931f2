"""The security-incident shutdown guard the procedure service calls before a run.

While a security incident is open, a procedure that shuts the system down is refused,
unless an admin forces it with a written reason, which goes into the timeline of every
open security incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.incidents import queries
from opsbook.incidents.shutdown import shutdown_reasons
from opsbook.procedures.plan import PlanError

if TYPE_CHECKING:
    from opsbook.procedures.engine import Plan
    from opsbook.store.database import Database

REFUSAL = "DO NOT shut down systems — preserve evidence"


@dataclass(frozen=True)
class Override:
    """An admin's decision to run a shutdown anyway, and why."""

    by: str
    reason: str
    admin: bool


class ShutdownRefused(PlanError):
    """A shutdown procedure was refused because a security incident is open."""


def plan_reasons(plan: Plan) -> list[str]:
    """Return why the plan shuts the system down (empty: it does not)."""
    commands = [(f"{i.label} ({i.step.text})", i.command) for i in plan.items if i.command]
    return shutdown_reasons(plan.title, commands)


def check_run(*, db: Database, plan: Plan, now: datetime, override: Override | None = None) -> None:
    """Refuse a shutdown while a security incident is open, unless an admin overrides it."""
    reasons = plan_reasons(plan)
    if not reasons:
        return
    with db.transaction() as session:
        incidents = queries.open_security_incidents(session)
        if not incidents:
            return
        ids = ", ".join(str(i.id) for i in incidents)
        if override is None or not override.admin or not override.reason.strip():
            problems = [
                f"{REFUSAL}: security incident {ids} is open and {plan.title} "
                "shuts the system down",
                *(f"  - {r}" for r in reasons),
            ]
            if override is not None and not override.admin:
                problems.append(f"{override.by} is not an admin; only an admin can force it")
            raise ShutdownRefused(
                problems,
                f"an admin can force it with a written reason: opsbook incidents force-run "
                f'{incidents[0].id} {plan.target} --reason "why it must stop now"',
            )
        for incident in incidents:
            queries.add_event(
                session,
                incident.id,
                at=now,
                actor=override.by,
                kind="forced",
                text=f"{override.by} forced {plan.title} during this security "
                f"incident: {override.reason.strip()}",
                data={"target": plan.target, "reasons": reasons},
            )
