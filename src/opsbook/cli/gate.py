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

from opsbook.cli import gate_people
from opsbook.cli.gate_people import RUNBOOK, ask_and_wait
from opsbook.cli.options import json_option
from opsbook.cli.output import fail, json_data, load_or_exit, print_json, say

if TYPE_CHECKING:
    from opsbook.monitoring.sources.base import MetricSource
    from opsbook.runbook.model import Runbook

EXIT_INCONCLUSIVE = 3


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
    gate_people.register(group)
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
    if os.environ.get("OPSBOOK_RUN_ID", "").isdigit() or ask:
        within = timedelta(seconds=_seconds(decide_within, "--decide-within"))
        gate = f"{name} {condition_text(wanted)} for {hold_s:g}s"
        if ask_and_wait(book, gate=gate, reason=judgement.reason, within=within):
            return
    elif not as_json and sys.stdin.isatty() and _person_lets_it_pass():
        return
    say(
        "inconclusive: the gate does not pass; a person must decide (run it again, or "
        "answer on a terminal)",
        err=True,
    )
    raise typer.Exit(EXIT_INCONCLUSIVE)


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
