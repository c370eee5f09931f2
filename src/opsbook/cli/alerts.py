"""`opsbook alerts list | show | ack | silence`: the alert history, from the terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli import who
from opsbook.cli.ids import id_argument, limit_option
from opsbook.cli.options import (
    cursor_option,
    either,
    json_option,
    old_runbook_option,
    runbook_option,
    say_more,
    since_option,
    since_or_exit,
)
from opsbook.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    console,
    database_or_exit,
    fail,
    json_data,
    print_json,
    when,
)
from opsbook.errors import Refused

if TYPE_CHECKING:
    from opsbook.monitoring.views import AlertView

alerts_app = typer.Typer(
    help="List, acknowledge and silence alerts (threshold rules and Alertmanager).\n\n"
    "Example: opsbook alerts list --status firing",
    no_args_is_help=True,
)
RUNBOOK_OPT = runbook_option(
    "Runbook whose state holds the alerts (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."
)
OLD_RUNBOOK = old_runbook_option()
JSON_OPT = json_option()
ALERT_ID = id_argument("The alert's id (see `opsbook alerts list`).")
STATES = ("open", "pending", "firing", "acknowledged", "silenced", "resolved", "all")


def register(app: typer.Typer) -> None:
    """Add the alerts commands to the app."""
    app.add_typer(alerts_app, name="alerts")


def _now() -> datetime:
    return datetime.now(UTC)


@alerts_app.command(
    "list",
    help="List alerts, latest change first.\n\n"
    "Example: opsbook alerts list --status open --since 2h --search disk",
)
def list_(
    state: str = typer.Option("open", "--status", "--state", help=", ".join(STATES)),
    since: str | None = since_option("alerts that changed"),
    search: str | None = typer.Option(None, "--search", "-s", help="Text in name or summary."),
    limit: int = limit_option("How many alerts, latest change first."),
    cursor: str | None = cursor_option(),
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import list_alerts

    if state not in STATES:
        fail(f'--status "{state}" is not one of: {", ".join(STATES)}', EXIT_BAD_INPUT)
    moment = since_or_exit(since)
    shown = list_alerts(
        db=database_or_exit(either(runbook, old_runbook)),
        state=None if state == "all" else state,
        text=search,
        limit=limit,
        cursor=cursor,
    )
    # Newest change first: the alerts changed since the moment are the front of the list.
    rows = [r for r in shown.items if moment is None or (r.updated_at and r.updated_at >= moment)]
    if as_json:
        print_json(json_data(rows))
    elif not rows:
        console().print(f"No {state} alerts.")
    else:
        _table(rows)
    say_more(shown, len(shown.items))


def _table(rows: list[AlertView]) -> None:
    # lazy: keeps rich off the start-up of `opsbook --help`
    from rich.table import Table

    table = Table("ID", "Alert", "State", "Severity", "Summary", "Since", box=None)
    table.columns[-1].no_wrap = True  # a time reads whole or not at all
    for row in rows:
        table.add_row(
            str(row.id), row.name, row.state, row.severity, row.summary, when(row.starts_at)
        )
    console().print(table)


@alerts_app.command(help="Show one alert with its history.\n\nExample: opsbook alerts show 12")
def show(
    alert_id: int = ALERT_ID,
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import show_alert

    shown = show_alert(db=database_or_exit(either(runbook, old_runbook)), alert_id=alert_id)
    if as_json:
        print_json(json_data(shown))
        return
    out = console()
    out.print(f"Alert {shown.id}: {shown.name} — {shown.state} ({shown.severity})")
    out.print(f"  {shown.summary}")
    for line in shown.history:
        out.print(f"  {when(line.at)}  {line.kind:<14} {line.actor}  {line.detail}")


@alerts_app.command(
    help="Acknowledge a firing alert: you are on it, escalation stops.\n\n"
    "Example: opsbook alerts ack 12"
)
def ack(
    alert_id: int = ALERT_ID,
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import acknowledge

    # The CLI maps NotFound once for every command; a refusal here says what was not done.
    try:
        data = acknowledge(
            db=database_or_exit(either(runbook, old_runbook)),
            alert_id=alert_id,
            by=who.user(),
            now=_now(),
        )
    except Refused as exc:
        fail(f"alert {alert_id} was not acknowledged: {exc}", EXIT_FAILED)
    if as_json:
        print_json(json_data(data))
        return
    console().print(f"Alert {alert_id} ({data.name}) acknowledged by {data.acknowledged_by}.")


@alerts_app.command(
    help="Silence alerts whose labels match every matcher, for a while.\n\n"
    'Example: opsbook alerts silence alertname="Disk usage" --for 2h '
    '--comment "resizing the volume"'
)
def silence(
    matchers: list[str] = typer.Argument(..., help='Label matchers: name="value", name=~regex.'),
    duration: str = typer.Option(..., "--for", help="How long: 30m, 2h, 1 day."),
    comment: str = typer.Option("", "--comment", "-m", help="Why (kept with the silence)."),
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: off the start-up of `opsbook --help`: monitoring.service, runbook.durations, ...
    from opsbook.monitoring.service import add_silence
    from opsbook.runbook.durations import parse_duration
    from opsbook.runbook.problems import ValueProblem

    try:
        seconds = parse_duration(duration)
    except (ValueProblem, ValueError) as exc:
        fail(f'--for "{duration}": {exc}', EXIT_BAD_INPUT, hint="write it like 30m, 2h or 1 day")
    result = add_silence(
        db=database_or_exit(either(runbook, old_runbook)),
        matchers=matchers,
        duration=seconds,
        by=who.user(),
        comment=comment,
        now=_now(),
    )
    if as_json:
        print_json(json_data(result))
        return
    console().print(
        f"Silence {result.id} until {when(result.ends_at, due=True)}: "
        f"{' '.join(result.matchers)}; {len(result.silenced_alerts)} open alert(s) muted."
    )
