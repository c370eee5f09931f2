"""`opsbook alerts list | show | ack | silence`: the alert history, from the terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from opsbook.cli import who
from opsbook.cli.ids import id_argument, limit_option
from opsbook.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    console,
    database_or_exit,
    fail,
    json_data,
    print_json,
)
from opsbook.errors import Refused

alerts_app = typer.Typer(
    help="List, acknowledge and silence alerts (threshold rules and Alertmanager).\n\n"
    "Example: opsbook alerts list --state firing",
    no_args_is_help=True,
)
RUNBOOK_OPT = typer.Option(
    None,
    "--runbook",
    "-r",
    show_default=False,
    help="Runbook whose state holds the alerts (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md).",
)
JSON_OPT = typer.Option(False, "--json", help="Print JSON for scripts.")
ALERT_ID = id_argument("The alert's id (see `opsbook alerts list`).")
STATES = ("open", "pending", "firing", "acknowledged", "silenced", "resolved", "all")


def register(app: typer.Typer) -> None:
    """Add the alerts commands to the app."""
    app.add_typer(alerts_app, name="alerts")


def _now() -> datetime:
    return datetime.now(UTC)


def _shown(moment: datetime | None) -> str:
    """Return a time as the tables show it: ISO 8601 to the second, no offset (it is UTC)."""
    return moment.isoformat()[:19] if moment else ""


@alerts_app.command(
    "list",
    help="List alerts, newest first.\n\nExample: opsbook alerts list --state open --search disk",
)
def list_(
    state: str = typer.Option("open", "--state", help=", ".join(STATES)),
    search: str | None = typer.Option(None, "--search", "-s", help="Text in name or summary."),
    limit: int = limit_option("How many alerts, newest first."),
    runbook: Path | None = RUNBOOK_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import list_alerts

    if state not in STATES:
        fail(f'--state "{state}" is not one of: {", ".join(STATES)}', EXIT_BAD_INPUT)
    rows = list_alerts(
        db=database_or_exit(runbook),
        state=None if state == "all" else state,
        text=search,
        limit=limit,
    ).items
    if as_json:
        print_json(json_data(rows))
        return
    if not rows:
        console().print(f"No {state} alerts.")
        return
    # lazy: keeps rich off the start-up of `opsbook --help`
    from rich.table import Table

    table = Table("ID", "Alert", "State", "Severity", "Summary", "Since", box=None)
    for row in rows:
        table.add_row(
            str(row.id), row.name, row.state, row.severity, row.summary, _shown(row.starts_at)
        )
    console().print(table)


@alerts_app.command(help="Show one alert with its history.\n\nExample: opsbook alerts show 12")
def show(
    alert_id: int = ALERT_ID,
    runbook: Path | None = RUNBOOK_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import show_alert

    shown = show_alert(db=database_or_exit(runbook), alert_id=alert_id)
    if as_json:
        print_json(json_data(shown))
        return
    out = console()
    out.print(f"Alert {shown.id}: {shown.name} — {shown.state} ({shown.severity})")
    out.print(f"  {shown.summary}")
    for line in shown.history:
        out.print(f"  {_shown(line.at)}  {line.kind:<14} {line.actor}  {line.detail}")


@alerts_app.command(
    help="Acknowledge a firing alert: you are on it, escalation stops.\n\n"
    "Example: opsbook alerts ack 12"
)
def ack(
    alert_id: int = ALERT_ID,
    runbook: Path | None = RUNBOOK_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps monitoring.service off the start-up of `opsbook --help`
    from opsbook.monitoring.service import acknowledge

    # The CLI maps NotFound once for every command; a refusal here says what was not done.
    try:
        data = acknowledge(
            db=database_or_exit(runbook), alert_id=alert_id, by=who.user(), now=_now()
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
        db=database_or_exit(runbook),
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
        f"Silence {result.id} until {result.ends_at:%Y-%m-%d %H:%M} UTC: "
        f"{' '.join(result.matchers)}; {len(result.silenced_alerts)} open alert(s) muted."
    )
