"""What a run must pass before it starts or goes on: a guard owned here, kept by another domain.

The procedure domain asks; it does not know who answers. The incidents domain keeps the one
guard there is today (no shutdown while a security incident is open: incidents/guard.py),
and each face passes it to the use cases that start or resume a run (`start_run`,
`start_queued_run`, `prepare_resume`), so the arrow points from incidents to procedures
and never back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opsbook.procedures.engine import Plan
from opsbook.procedures.plan import PlanError
from opsbook.runbook.record import Record


@dataclass(frozen=True, eq=False, repr=False)
class Override(Record):
    """An admin's decision to run what a guard refuses, and why."""

    by: str
    reason: str
    admin: bool


class GuardRefused(PlanError):
    """A guard refused the run; like any plan error it lists why and hints what to do."""


class RunGuard(Protocol):
    """Decides whether a run may start or go on now."""

    def check(self, plan: Plan, now: datetime, override: Override | None) -> None:
        """Return if the run may go; raise GuardRefused saying why if it may not."""
        ...
