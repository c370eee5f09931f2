"""Who answers a manual step: a person at the terminal, `--yes`, the web, or nobody yet.

A step with no command, or with `confirm=true`, needs a person. The answer is a
`Confirmation`; `WAITING` means nobody can answer now and the run stops cleanly at that
step. A decision recorded in the database (by the web dashboard) is read first, so a run
resumed after someone confirmed in the browser goes on without asking again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from opsbook.procedures.engine import PlanItem
from opsbook.runbook.record import Record
from opsbook.runbook.step_safety import Who


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    SKIPPED = "skipped"
    ABORTED = "aborted"
    WAITING = "waiting"


@dataclass(frozen=True, eq=False, repr=False)
class Confirmation(Record):
    """A person's answer to a manual step, who gave it and how."""

    decision: Decision
    by: str = ""
    via: str = ""

    @property
    def said(self) -> str:
        """Say who decided and how: `confirmed by alice with --yes`."""
        how = {"yes": " with --yes", "terminal": " at the terminal", "web": " in the browser"}
        return f"{self.decision} by {self.by}{how.get(self.via, '')}" if self.by else self.decision


class Confirmer(Protocol):
    """Asks whoever can answer whether a manual step is done (or may run)."""

    async def confirm(self, item: PlanItem) -> Confirmation:
        """Return the decision for the step; WAITING when nobody can answer now."""
        ...


class AutoConfirmer:
    """`--yes`: the runbook's own confirmations are confirmed by the user who ran the command.

    A step opsbook keeps for a person (step_safety.py) goes to `then` (the terminal), or
    waits: --yes never turns it into one that runs by itself.
    """

    def __init__(self, user: str, then: Confirmer | None = None) -> None:
        self.user = user
        self.then = then

    async def confirm(self, item: PlanItem) -> Confirmation:
        if item.decision.yes_answers:
            return Confirmation(Decision.CONFIRMED, self.user, "yes")
        if self.then is not None:
            return await self.then.confirm(item)
        return Confirmation(Decision.WAITING)


class NobodyConfirmer:
    """No terminal and no `--yes`: the run waits for a person at the step."""

    async def confirm(self, item: PlanItem) -> Confirmation:
        return Confirmation(Decision.WAITING)


ANSWERS = {
    "c": Decision.CONFIRMED,
    "confirm": Decision.CONFIRMED,
    "y": Decision.CONFIRMED,
    "yes": Decision.CONFIRMED,
    "s": Decision.SKIPPED,
    "skip": Decision.SKIPPED,
    "a": Decision.ABORTED,
    "abort": Decision.ABORTED,
    "n": Decision.ABORTED,
    "no": Decision.ABORTED,
}


class TerminalConfirmer:
    """Asks the person at the terminal: confirm, skip or abort.

    On an event loop the question waits in a thread, so the loop goes on meanwhile (SSH
    connections, signals); `in_thread=False` asks directly, for a run without a loop.
    """

    def __init__(self, user: str, ask: Callable[[str], str], *, in_thread: bool = True) -> None:
        self.user = user
        self.ask = ask
        self.in_thread = in_thread

    async def _answer(self, question: str) -> str:
        if not self.in_thread:
            return self.ask(question)
        # lazy: keeps asyncio off the start-up of a plain `opsbook run`
        import asyncio

        return await asyncio.to_thread(self.ask, question)

    async def confirm(self, item: PlanItem) -> Confirmation:
        question = ask_text(item)
        while True:
            try:
                answer = await self._answer(question)
            except EOFError:
                return Confirmation(Decision.WAITING)
            decision = ANSWERS.get(answer.strip().lower())
            if decision is not None:
                return Confirmation(decision, self.user, "terminal")


def ask_text(item: PlanItem) -> str:
    """Return the question for a step: what it is, why a person answers, what to do."""
    decision = item.decision
    lines = [f"  ? {item.label} {item.step.text}"]
    if item.command is not None and decision.who in (Who.ASK, Who.PERSON):
        lines += [f"    $ {line}" for line in item.command.splitlines()]
        lines.append(f"    ({decision.why})")
    verb = "Done" if item.command is None or not decision.runs_here else "Run it now"
    lines.append(f"    {verb}? [c]onfirm / [s]kip / [a]bort: ")
    return "\n".join(lines)
