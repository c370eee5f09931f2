"""The security-incident shutdown guard: the RunGuard (procedures/guard.py) of incidents.

While a security incident is open, a procedure that shuts the system down is refused,
unless an admin forces it with a written reason, which goes into the timeline of every
open security incident.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.incidents.shutdown import shutdown_reasons
from opsbook.procedures.engine import Plan
from opsbook.procedures.guard import GuardRefused, Override

if TYPE_CHECKING:
    from opsbook.store.database import Database

REFUSAL = "DO NOT shut down systems — preserve evidence"


class ShutdownRefused(GuardRefused):
    """A shutdown procedure was refused because a security incident is open."""


def plan_reasons(plan: Plan) -> list[str]:
    """Return why the plan shuts the system down (empty: it does not)."""
    commands = [(f"{i.label} ({i.step.text})", i.command) for i in plan.items if i.command]
    return shutdown_reasons(plan.title, commands)


class ShutdownGuard:
    """Refuses a shutdown while a security incident is open, unless an admin overrides it.

    `database` is called only for a plan that shuts the system down: any other run, such as
    a plain `opsbook run` on the light store, is let through without opening it.
    """

    def __init__(self, database: Callable[[], Database]) -> None:
        self.database = database

    def check(self, plan: Plan, now: datetime, override: Override | None) -> None:
        """Return if the run may go; raise ShutdownRefused if it may not."""
        reasons = plan_reasons(plan)
        if reasons:
            _check_shutdown(self.database(), plan, reasons, now, override)


def _check_shutdown(
    db: Database, plan: Plan, reasons: list[str], now: datetime, override: Override | None
) -> None:
    # lazy: keeps incidents.queries (SQLAlchemy) off the start-up of a plain `opsbook run`
    from opsbook.incidents import queries

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
