"""`opsbook gate approvals|decisions|decide`: gates that wait for people.

A gate asks through the database (`deploy.decisions`) and waits: the run stays on its
check meanwhile. People answer with `opsbook gate decide` or the API; the answers, who gave
them and when are printed into the check's output, the run's record of the gate.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import fail, json_data, load_or_exit, print_json, say

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook

POLL = 1.0  # seconds between looks at the answers
RUNBOOK = runbook_option("Runbook whose gates these are.")


def register(group: typer.Typer) -> None:
    """Add the commands of gates that wait for people to the `gate` group."""
    for name, function, example in (
        ("approvals", approvals, 'opsbook gate approvals 2 --role "Operations Lead"'),
        ("decisions", decisions_, "opsbook gate decisions --json"),
        ("decide", decide, "opsbook gate decide 3 --let-pass"),
    ):
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)


def ask_and_wait(
    book: Runbook,
    *,
    gate: str,
    reason: str,
    within: timedelta,
    needed: int = 1,
    role: str = "",
    allowed: frozenset[str] = frozenset(),
) -> bool:
    """Ask people through the database and wait for the answer; say whether it passed."""
    import time

    from opsbook.deploy import decisions
    from opsbook.store.database import open_for

    db = open_for(Path(book.path))
    run = os.environ.get("OPSBOOK_RUN_ID", "")
    asked = decisions.ask_person(
        db=db,
        run_id=int(run) if run.isdigit() else None,
        step=os.environ.get("OPSBOOK_STEP", ""),
        gate=gate,
        reason=reason,
        now=datetime.now(UTC),
        within=within,
        needed=needed,
        role=role,
        allowed=allowed,
    )
    say(
        f"paused: asked {'a person' if needed == 1 else f'{needed} people'}"
        f"{f' holding {role}' if role else ''} (gate decision {asked.id}): "
        f"opsbook gate decide {asked.id} --let-pass, or --stop; "
        f"unanswered by {asked.expires_at:%H:%M:%S}Z it stops",
    )
    sys.stdout.flush()
    while True:
        view = decisions.decision_state(db=db, decision_id=asked.id, now=datetime.now(UTC))
        if view.state != "open":
            break
        time.sleep(POLL)
    by = f" by {view.decided_by} at {view.decided_at:%H:%M:%S}Z" if view.decided_at else ""
    note = f" ({view.note})" if view.note else ""
    say(f"gate decision {view.id}: {view.state}{by}{note}")
    return view.state == "passed"


def approvals(
    needed: int = typer.Argument(..., min=1, max=20, help="How many distinct people."),
    role: str = typer.Option("", "--role", help="Of the Emergency Contacts table; all: anyone."),
    within: str = typer.Option("1h", "--within", help="How long they have; then it stops."),
    runbook: Path | None = RUNBOOK,
) -> None:
    """Pass once N distinct people (holding the role) approve; wait for them.

    Exit status 0 approved, 1 stopped or not approved in time. Each approval is printed
    with who and when: the run's record of it.
    """
    from opsbook.deploy.approvers import holders
    from opsbook.runbook.durations import parse_duration

    book = load_or_exit(runbook)
    try:
        seconds = parse_duration(within)
    except ValueError as exc:
        fail(f'--within "{within}": {exc}')
    allowed = holders(book, role) if role else frozenset()  # BadInput: exit 2
    gate = f"{needed} approval{'s' if needed > 1 else ''}" + (f" of {role}" if role else "")
    if not ask_and_wait(
        book,
        gate=gate,
        reason="approval asked",
        within=timedelta(seconds=seconds),
        needed=needed,
        role=role,
        allowed=allowed,
    ):
        raise typer.Exit(1)


def decisions_(
    every: bool = typer.Option(False, "--all", help="Answered ones too, not only open ones."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = json_option(),
) -> None:
    """List inconclusive gates waiting for a person (and, with --all, the answered ones)."""
    from opsbook.cli.output import database_or_exit
    from opsbook.deploy.decisions import list_decisions

    views = list_decisions(db=database_or_exit(runbook), open_only=not every)
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        run = f"run {view.run_id} {view.step}: " if view.run_id else ""
        who = f" by {view.decided_by}" if view.decided_by else ""
        say(f"{view.id}  {view.state}{who}  {run}{view.gate} ({view.reason})")
    if not views:
        say("no gate is waiting for a person")


def decide(
    decision: int = typer.Argument(..., help="The gate decision's id."),
    let_pass: bool = typer.Option(
        False, "--let-pass/--stop", help="Let the gate pass, or stop it (the run fails)."
    ),
    note: str = typer.Option("", "--note", help="Why, kept with the answer."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = json_option(),
) -> None:
    """Answer an inconclusive gate: let it pass on your word, or stop it."""
    from opsbook.cli import who
    from opsbook.cli.output import database_or_exit
    from opsbook.deploy.decisions import decide as answer

    view = answer(
        db=database_or_exit(runbook),
        decision_id=decision,
        let_pass=let_pass,
        actor=who.user(),
        note=note,
        now=datetime.now(UTC),
    )
    if as_json:
        print_json(json_data(view))
    else:
        say(f"gate decision {view.id}: {view.state} by {view.decided_by}")
