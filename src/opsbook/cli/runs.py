"""`opsbook runs list | show`: the audit trail of procedure runs."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsbook.cli.ids import id_argument, limit_option
from opsbook.cli.options import json_option, runbook_option, since_option, since_or_exit
from opsbook.cli.output import EXIT_BAD_INPUT, console, fail, print_json, when

if TYPE_CHECKING:
    from rich.console import Console

    from opsbook.procedures.attempt_groups import Try
    from opsbook.procedures.views import AttemptView, RunDetailView, RunView
    from opsbook.store.database import Database

RUNBOOK_OPT = runbook_option("Runbook whose state holds the runs.")
JSON_OPT = json_option()
# What a run's status may be, as the runs table stores it.
STATUSES = ("running", "waiting", "succeeded", "failed", "rolled-back", "interrupted")
STATUS_STYLE = {
    "succeeded": "green",
    "failed": "bold red",
    "rolled-back": "red",
    "running": "cyan",
    "waiting": "yellow",
    "interrupted": "magenta",
}
_ATTEMPT_STYLE = {
    "passed": "green",
    "confirmed": "green",
    "running": "cyan",
    "not-run": "yellow",
    "skipped": "yellow",
}
# Attempts whose output is not shown in full: nothing went wrong in them.
_QUIET = ("passed", "confirmed", "skipped", "running", "not-run")


def register(app: typer.Typer) -> None:
    """Add the `runs` group to the app."""
    group = typer.Typer(help="The record of procedure runs.", no_args_is_help=True)
    group.command(
        "list",
        help="List recent runs.\n\nExample: opsbook runs list --status failed --since 1 day",
    )(list_)
    group.command(
        "show", help="Show one run with every step attempt.\n\nExample: opsbook runs show 12"
    )(show)
    app.add_typer(group, name="runs")


def database_for(runbook: Path | None) -> Database | None:
    """Open the runs database of a runbook; None if it has never been written."""
    # lazy: off the start-up of `opsbook --help`: runbook.loader, store.database
    from opsbook.runbook.loader import resolve_path
    from opsbook.store.database import database_url, open_for, state_dir

    path = resolve_path(str(runbook) if runbook else None, os.environ)
    url = database_url(state_dir(path, os.environ), os.environ)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return open_for(path, os.environ)


def _machine() -> str:
    # lazy: keeps socket off the start-up of `opsbook --help`
    import socket

    return socket.gethostname()


def _now() -> Any:
    return datetime.now(UTC)


def show_data(db: Database, run_id: int) -> RunDetailView | None:
    """Return one run with its attempts, as `runs show --json` prints it."""
    # lazy: keeps procedures.service off the start-up of `opsbook --help`
    from opsbook.procedures.service import show_run

    return show_run(db=db, run_id=run_id, machine=_machine(), now=_now)


def list_(
    runbook: Path | None = RUNBOOK_OPT,
    limit: int = limit_option("How many runs, newest first."),
    procedure: str | None = typer.Option(None, "--procedure", help="Only runs of this id."),
    status: str | None = typer.Option(None, "--status", help=", ".join(STATUSES)),
    since: str | None = since_option("runs started"),
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps procedures.service off the start-up of `opsbook --help`
    from opsbook.procedures.service import list_runs

    # lazy: keeps procedures.views off the start-up of `opsbook --help`
    from opsbook.procedures.views import json_ready

    if status is not None and status not in STATUSES:
        fail(f'--status "{status}" is not one of: {", ".join(STATUSES)}', EXIT_BAD_INPUT)
    moment = since_or_exit(since)
    db = database_for(runbook)
    rows = (
        []
        if db is None
        else list_runs(
            db=db, machine=_machine(), now=_now, limit=limit, procedure=procedure, status=status
        )
    )
    # Newest first: the runs started since the moment are the front of the list.
    rows = [r for r in rows if moment is None or r.started_at >= moment]
    if as_json:
        print_json([json_ready(row) for row in rows])
        return
    if not rows:
        console().print("No runs yet. Start one with: opsbook run RUNBOOK.md ID")
        return
    # lazy: keeps rich off the start-up of a plain `opsbook run`
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold")
    for column in ("ID", "PROCEDURE", "STATUS", "STARTED", "TOOK", "BY"):
        table.add_column(column)
    for row in rows:
        style = STATUS_STYLE.get(row.status, "")
        table.add_row(
            str(row.id),
            row.procedure,
            Text(row.status, style=style),
            when(row.started_at),
            _took(row),
            row.started_by,
        )
    console().print(table)


def _took(row: RunView) -> str:
    if row.finished_at is None:
        return ""
    return f"{(row.finished_at - row.started_at).total_seconds():.1f}s"


def show(
    run_id: int = id_argument("The run's id (see `opsbook runs list`)."),
    runbook: Path | None = RUNBOOK_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    db = database_for(runbook)
    data = None if db is None else show_data(db, run_id)
    if data is None:
        fail(f"no run {run_id}", EXIT_BAD_INPUT, "list runs with `opsbook runs list`")
    if as_json:
        # lazy: keeps procedures.views off the start-up of `opsbook --help`
        from opsbook.procedures.views import json_ready

        print_json(json_ready(data))
        return
    # lazy: off the start-up of a plain `opsbook run`: rich, ...
    from rich.markup import escape

    from opsbook.procedures.attempt_groups import tries

    out = console()
    style = STATUS_STYLE.get(data.status, "")
    out.print(
        f"[bold]Run {data.id}[/]: {escape(data.title)} — [{style}]{data.status}[/]",
        markup=True,
    )
    out.print(f"  {escape(data.message)}", markup=True)
    out.print(
        f"  started {when(data.started_at)} by {escape(data.started_by)}"
        f"{', finished ' + when(data.finished_at) if data.finished_at else ''}",
        markup=True,
    )
    if data.params:
        out.print(
            "  params: " + escape(", ".join(f"{k}={v}" for k, v in data.params.items())),
            markup=True,
        )
    for tried in tries(data.attempts):
        if tried.fanned:
            _print_fanned(out, tried, data.steps.get(tried.first.step, tried.status))
        else:
            _print_attempt(out, tried.first)
    for c in data.confirmations:
        who = f" by {c.by}" if c.by else ""
        out.print(
            f"  confirmation {c.step}: {c.decision}{escape(who)}{' via ' + c.via if c.via else ''}",
            markup=True,
        )


def _print_attempt(out: Console, attempt: AttemptView) -> None:
    # lazy: off the start-up of a plain `opsbook run`: rich, ...
    from rich.markup import escape

    from opsbook.procedures.engine import Phase

    astyle = _ATTEMPT_STYLE.get(attempt.status, "red")
    retry = f" (attempt {attempt.attempt})" if attempt.attempt > 1 else ""
    took = f" {attempt.duration:.2f}s" if attempt.duration is not None else ""
    code = f" exit {attempt.exit_code}" if attempt.exit_code not in (None, 0) else ""
    what = f"{Phase(attempt.phase).singular} {attempt.number}"
    out.print(
        f"  [{astyle}]{attempt.status:>11}[/] {what} "
        f"{escape(attempt.text)} [dim]@{escape(attempt.host)}{retry}{code}{took}[/]",
        markup=True,
    )
    if attempt.status not in _QUIET:
        _print_output(out, attempt, 12, 14, attempt.error)


def _print_fanned(out: Console, tried: Try[AttemptView], outcome: str) -> None:
    """Print one try of a step on many hosts (and the step's outcome), hosts grouped by output."""
    # lazy: off the start-up of a plain `opsbook run`: rich, ...
    from rich.markup import escape

    from opsbook.procedures.engine import Phase
    from opsbook.procedures.host_ranges import folded

    first = tried.first
    what = f"{Phase(first.phase).singular} {first.number}"
    retry = f", attempt {first.attempt}" if first.attempt > 1 else ""
    # The step's outcome, not its hosts': a step may pass with failed hosts (max_fail=).
    worst = outcome
    out.print(
        f"  [{_ATTEMPT_STYLE.get(worst, 'red')}]{worst:>11}[/] {what} {escape(first.text)} "
        f"[dim]@{tried.hosts} hosts{retry}: {tried.counts()}[/]",
        markup=True,
    )
    for group in tried.groups:
        sample = group.sample
        code = f" exit {sample.exit_code}" if sample.exit_code not in (None, 0) else ""
        gstyle = _ATTEMPT_STYLE.get(group.status, "red")
        out.print(
            f"  {'':>11}   [{gstyle}]{group.status:>8}[/] {len(group.hosts):>4} "
            f"{'host ' if len(group.hosts) == 1 else 'hosts'}  "
            f"{escape(folded(group.hosts))}[dim]{code}[/]",
            markup=True,
        )
        _print_output(out, sample, 12 if group.status not in _QUIET else 4, 18, group.error)


def _print_output(
    out: Console, attempt: AttemptView, lines: int, indent: int, error: str | None
) -> None:
    # lazy: off the start-up of a plain `opsbook run`: rich, ...
    from rich.markup import escape

    text = "\n".join(t for t in (attempt.stdout, attempt.stderr, error or "") if t.strip())
    for line in text.splitlines()[-lines:]:
        out.print(f"{'':{indent}}[dim]│ {escape(line)}[/]", markup=True)
