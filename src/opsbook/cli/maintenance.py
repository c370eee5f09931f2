"""`opsbook maintenance ...`: list, run, done, history.

Thin: parse, call a use case of `opsbook.maintenance`, present. Heavy imports stay inside
the commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli import who
from opsbook.cli.ids import limit_option
from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import (
    EXIT_FAILED,
    console,
    fail,
    json_data,
    load_or_exit,
    print_json,
    when,
)

if TYPE_CHECKING:
    from opsbook.maintenance.completion import Completion
    from opsbook.maintenance.tasks import TaskSpec
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUNBOOK = runbook_option("Runbook whose maintenance tasks these are.")
JSON = json_option()
TASK = typer.Argument(..., help="The task, by name or key (`Log rotation`, log-rotation).")
STANDINGS = ("ok", "due", "overdue", "running", "as needed")
STYLE = {"ok": "green", "due": "yellow", "overdue": "bold red", "running": "cyan"}


def register(app: typer.Typer) -> None:
    """Add the `maintenance` group to the app."""
    group = typer.Typer(
        help="Maintenance: the runbook's Regular Maintenance Tasks as a schedule that runs.",
        no_args_is_help=True,
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("list", list_, "opsbook maintenance list --json"),
        ("due", due, "opsbook maintenance due --json"),
        ("run", run, 'opsbook maintenance run "Log rotation"'),
        ("done", done, 'opsbook maintenance done "Dependency updates" --note "bumped 14"'),
        ("history", history, "opsbook maintenance history log-rotation -n 20"),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(group, name="maintenance")


def _now() -> datetime:
    return datetime.now(UTC)


def _context(runbook: Path | None, as_json: bool) -> tuple[Runbook, list[TaskSpec], Database]:
    # lazy: keeps the store and the domain off the start-up of `opsbook --help`
    from opsbook.maintenance.tasks import task_specs
    from opsbook.store.database import open_for

    book = load_or_exit(runbook, as_json)
    specs = task_specs(book)  # BadInput: one message, exit 2 (cli/app.py)
    return book, specs, open_for(Path(book.path))


def _spec(specs: list[TaskSpec], name: str) -> TaskSpec:
    from opsbook.maintenance.tasks import find_task

    spec = find_task(specs, name)
    if spec is None:
        known = ", ".join(s.name for s in specs) or "none"
        fail(f'no maintenance task "{name}"', hint=f"tasks: {known}")
    return spec


def list_(
    runbook: Path | None = RUNBOOK,
    status: str | None = typer.Option(
        None, "--status", help="Only tasks that stand so: ok, due, overdue, running, as needed."
    ),
    limit: int = limit_option("How many tasks, in the table's order.", default=100),
    as_json: bool = JSON,
) -> None:
    """List the tasks: how often, who, when next due, and which are overdue."""
    from opsbook.maintenance import service

    if status is not None and status not in STANDINGS:
        fail(f'--status "{status}" is not one of: {", ".join(STANDINGS)}')
    _, specs, db = _context(runbook, as_json)
    views = service.list_tasks(db=db, specs=specs, now=_now())
    views = [v for v in views if status is None or v.standing == status][:limit]
    if as_json:
        print_json(json_data(views))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for column in ("Task", "Frequency", "Owner", "Standing", "Next due", "Last done"):
        table.add_column(column)
    for view in views:
        style = STYLE.get(view.standing, "dim")
        table.add_row(
            view.name,
            view.frequency,
            view.owner,
            Text(view.standing, style=style),
            when(view.next_due, due=True) if view.next_due else "—",
            when(view.last_success),
        )
    console().print(table)


def due(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """List the tasks due or overdue now, the most late first; exit 1 if any is overdue."""
    from opsbook.maintenance import service

    _, specs, db = _context(runbook, as_json)
    views = [
        v
        for v in service.list_tasks(db=db, specs=specs, now=_now())
        if v.standing in ("due", "overdue")
    ]
    views.sort(key=lambda v: (v.standing != "overdue", v.next_due))
    if as_json:
        print_json(json_data(views))
    else:
        out = console()
        for view in views:
            style = STYLE[view.standing]
            out.print(
                f"[{style}]{view.standing}[/] {escape_text(view.name)}: due "
                f"{when(view.next_due, due=True)} ({escape_text(view.owner) or 'no owner'})",
                markup=True,
                highlight=False,
            )
        if not views:
            out.print("Nothing due.")
    if any(v.standing == "overdue" for v in views):
        raise typer.Exit(EXIT_FAILED)


def escape_text(text: str) -> str:
    """Return text safe inside Rich markup."""
    from rich.markup import escape

    return escape(text)


def run(
    task: str = TASK,
    runbook: Path | None = RUNBOOK,
    keep_table: bool = typer.Option(
        True, "--update-runbook/--no-update-runbook", help="Write Last Completed / Next Due."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what it would do; do nothing."),
    as_json: bool = JSON,
) -> None:
    """Run a task now (a built-in or a command), and record it."""
    from opsbook.maintenance import service
    from opsbook.maintenance.completion import complete
    from opsbook.maintenance.perform import LocalPerformer, folder_of

    book, specs, db = _context(runbook, as_json)
    spec = _spec(specs, task)
    actor = who.user()
    run_id = service.request_run(
        db=db, spec=spec, actor=actor, source="cli", now=_now(), queue=False
    )
    performer = LocalPerformer(folder_of(book.path), book.settings, book.log_locations)
    ran = service.perform_run(
        db=db, run_id=run_id, spec=spec, performer=performer, clock=_now, dry_run=dry_run
    )
    result = complete(
        db=db, runbook=book, spec=spec, run=ran, actor=actor, now=_now(), update_runbook=keep_table
    )
    _show(result, as_json)
    if ran.state != "succeeded":
        raise typer.Exit(EXIT_FAILED)


def done(
    task: str = TASK,
    note: str = typer.Option("", "--note", help="What was done, in a line."),
    runbook: Path | None = RUNBOOK,
    keep_table: bool = typer.Option(
        True, "--update-runbook/--no-update-runbook", help="Write Last Completed / Next Due."
    ),
    as_json: bool = JSON,
) -> None:
    """Mark a task done by a person, now."""
    from opsbook.maintenance import service
    from opsbook.maintenance.completion import complete

    book, specs, db = _context(runbook, as_json)
    spec = _spec(specs, task)
    actor = who.user()
    marked = service.mark_done(db=db, spec=spec, actor=actor, now=_now(), note=note)
    _show(
        complete(
            db=db,
            runbook=book,
            spec=spec,
            run=marked,
            actor=actor,
            now=_now(),
            update_runbook=keep_table,
        ),
        as_json,
    )


def history(
    task: str | None = typer.Argument(None, help="Only this task's runs."),
    runbook: Path | None = RUNBOOK,
    limit: int = limit_option("How many runs, newest first."),
    as_json: bool = JSON,
) -> None:
    """Show the runs of tasks: scheduled, missed, run by hand, pinged, done."""
    from opsbook.maintenance import service

    _, specs, db = _context(runbook, as_json)
    key = _spec(specs, task).key if task else None
    runs = service.history(db=db, task=key, limit=min(limit, 1000))
    if as_json:
        print_json(json_data(runs))
        return
    from rich.markup import escape

    out = console()
    for item in runs:
        due = f" due {when(item.due_at)}" if item.due_at else ""
        status = f" exit {item.exit_status}" if item.exit_status is not None else ""
        out.print(
            f"#{item.id} {escape(item.task)} [{_state_style(item.state)}]{item.state}[/]"
            f"{due} {item.source} by {escape(item.actor)}{status}"
            f"{' — ' + escape(item.detail[:200]) if item.detail else ''}",
            highlight=False,
            markup=True,
        )
    if not runs:
        out.print("No runs yet.")


def _state_style(state: str) -> str:
    return {"succeeded": "green", "failed": "red", "missed": "bold red"}.get(state, "dim")


def _show(result: Completion, as_json: bool) -> None:
    if as_json:
        print_json(json_data(result))
        return
    from rich.markup import escape

    item = result.run
    style = _state_style(item.state)
    out = console()
    out.print(f"{escape(item.task)}: [{style}]{item.state}[/]", highlight=False, markup=True)
    if item.detail:
        out.print(item.detail)
    if result.runbook_version:
        out.print(f"Runbook updated: version {result.runbook_version}.")
    elif result.not_recorded:
        console(stderr=True).print(f"warning: {result.not_recorded}")
