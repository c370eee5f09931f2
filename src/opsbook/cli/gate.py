"""`opsbook gate ...`: deployment gates a runbook's checks run, such as a metric held.

Written as a check's command (`- [ ] Error rate low: \\`opsbook gate metric "Error rate"
"< 1" --for 5m\\``), the readings it prints are the run's evidence; exit status 0 when the
gate held, 1 when it broke, 3 when it is inconclusive (the source did not answer): that
never passes; on a terminal a person is asked, and their name is printed with the answer.
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
    from opsbook.monitoring.sources.base import MetricSource
    from opsbook.runbook.model import Runbook

EXIT_INCONCLUSIVE = 3
POLL = 1.0  # seconds between looks at a person's answer
RUNBOOK = runbook_option("Runbook whose Key Metrics and Prometheus the gate reads.")


def register(app: typer.Typer) -> None:
    """Add the `gate` group to the app."""
    group = typer.Typer(
        help="Deployment gates: a metric condition held for a duration, a wait.",
        no_args_is_help=True,
    )
    group.command(
        "metric",
        help=f"{(metric.__doc__ or '').strip()}\n\n"
        'Example: opsbook gate metric "Error rate" "< 1" --for 5m',
    )(metric)
    group.command("wait", help=f"{wait.__doc__}\n\nExample: opsbook gate wait 10m")(wait)
    group.command(
        "decisions", help=f"{decisions_.__doc__}\n\nExample: opsbook gate decisions --json"
    )(decisions_)
    group.command("decide", help=f"{decide.__doc__}\n\nExample: opsbook gate decide 3 --let-pass")(
        decide
    )
    app.add_typer(group, name="gate")


def _seconds(text: str, option: str) -> float:
    from opsbook.runbook.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f'{option} "{text}": {exc}')


def _source(book: Runbook, name: str) -> MetricSource:
    from opsbook.monitoring.sources.base import SourceError
    from opsbook.monitoring.sources.build import KINDS, source_for
    from opsbook.runbook.model import Metric

    kind = name.partition(":")[0]
    found = next((m for m in book.metrics if name.lower() in (m.name.lower(), m.id.lower())), None)
    if found is None and kind in KINDS:
        found = Metric(name=name, source=name)
    if found is None:
        known = ", ".join(m.name for m in book.metrics) or "none"
        fail(f'no Key Metric "{name}"', hint=f"metrics: {known}; or give a source, prom:<query>")
    try:
        return source_for(found, book)
    except SourceError as exc:
        fail(str(exc))


def metric(
    name: str = typer.Argument(..., help="A Key Metric (name) or a source (prom:<query>)."),
    condition: str = typer.Argument(..., help='What must hold: "< 1", ">= 0.99".'),
    hold: str = typer.Option("0s", "--for", help="How long it must hold: 5m, 10 minutes."),
    every: str = typer.Option("15s", "--every", help="How often to read the metric."),
    ask: bool = typer.Option(
        False, "--ask", help="When inconclusive, ask through opsbook (as in a run) and wait."
    ),
    decide_within: str = typer.Option(
        "30m", "--decide-within", help="How long a person has to answer; then it stops."
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = json_option(),
) -> None:
    """Pass when the metric meets the condition on every reading for the whole duration.

    Exit status 0 held, 1 broke (the reading that broke it is printed), 3 inconclusive
    (the source did not answer; never a pass: a person decides). In a run (or with --ask)
    an inconclusive gate pauses: it asks through opsbook and waits for `opsbook gate decide`.
    """
    import asyncio

    from opsbook.deploy.gate_watch import watch
    from opsbook.deploy.gates import Sample, Verdict, condition_text
    from opsbook.runbook.problems import ValueProblem
    from opsbook.runbook.table_rows import threshold

    try:
        wanted = threshold(condition)
    except ValueProblem as exc:
        fail(f'condition "{condition}": {exc}')
    if wanted is None:
        fail(f'condition "{condition}": write it like "< 1" or ">= 0.99"')
    book = load_or_exit(runbook, as_json)
    source = _source(book, name)
    hold_s, every_s = _seconds(hold, "--for"), max(_seconds(every, "--every"), 0.1)
    if not as_json:
        say(f"gate: {name} {condition_text(wanted)} for {hold_s:g}s, read every {every_s:g}s")

    def report(sample: Sample) -> None:
        if not as_json:
            shown = f"{sample.value:g}" if sample.value is not None else f"none ({sample.error})"
            say(f"  {sample.at:%Y-%m-%d %H:%M:%S}Z  {name} = {shown}")

    judgement, samples = asyncio.run(
        watch(
            source=source,
            condition=wanted,
            hold=timedelta(seconds=hold_s),
            every=timedelta(seconds=every_s),
            now=lambda: datetime.now(UTC),
            sleep=asyncio.sleep,
            report=report,
        )
    )
    if as_json:
        print_json(json_data({"judgement": judgement, "samples": samples}))
    else:
        say(f"{judgement.verdict}: {judgement.reason}")
    if judgement.verdict is Verdict.HELD:
        return
    if judgement.verdict is Verdict.BROKEN:
        raise typer.Exit(1)
    in_run = os.environ.get("OPSBOOK_RUN_ID", "")
    if in_run.isdigit() or ask:
        within = timedelta(seconds=_seconds(decide_within, "--decide-within"))
        gate = f"{name} {condition_text(wanted)} for {hold_s:g}s"
        if _asked_person_lets_pass(book, in_run, gate, judgement.reason, within):
            return
    elif not as_json and sys.stdin.isatty() and _person_lets_it_pass():
        return
    say(
        "inconclusive: the gate does not pass; a person must decide (run it again, or "
        "answer on a terminal)",
        err=True,
    )
    raise typer.Exit(EXIT_INCONCLUSIVE)


def _asked_person_lets_pass(
    book: Runbook, run: str, gate: str, reason: str, within: timedelta
) -> bool:
    """Ask a person through the database and wait for the answer (the run pauses here)."""
    import time

    from opsbook.deploy import decisions
    from opsbook.store.database import open_for

    db = open_for(Path(book.path))
    asked = decisions.ask_person(
        db=db,
        run_id=int(run) if run else None,
        step=os.environ.get("OPSBOOK_STEP", ""),
        gate=gate,
        reason=reason,
        now=datetime.now(UTC),
        within=within,
    )
    say(
        f"paused: asked a person (gate decision {asked.id}): "
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


def _person_lets_it_pass() -> bool:
    from opsbook.cli import who

    answer = typer.prompt(
        "The gate is inconclusive. Let it pass on your word? Type your name to let it pass, "
        "or press Enter to stop",
        default="",
        show_default=False,
    ).strip()
    if not answer:
        return False
    say(f"let pass by {answer} (logged in as {who.user()}) at {datetime.now(UTC):%H:%M:%S}Z")
    return True


def wait(duration: str = typer.Argument(..., help="How long: 30s, 5m, 1 hour.")) -> None:
    """Wait, then pass: a soak time between deployment steps."""
    import time

    seconds = _seconds(duration, "duration")
    say(f"waiting {seconds:g}s from {datetime.now(UTC):%H:%M:%S}Z")
    time.sleep(seconds)
    say(f"waited until {datetime.now(UTC):%H:%M:%S}Z")


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
