"""`opsbook backup run | list | drill | drills | status | prune`: backups that are proven.

Thin: read the runbook's `backups:` front matter, call a use case of `opsbook.backups`,
present. Heavy imports stay inside the commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli.ids import limit_option
from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import (
    EXIT_FAILED,
    database_or_exit,
    json_data,
    load_or_exit,
    print_json,
    say,
    when,
)

if TYPE_CHECKING:
    from opsbook.backups.settings import BackupSpec
    from opsbook.backups.views import BackupView, DrillView, StatusView
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUNBOOK = runbook_option(
    "Runbook that declares the backups (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."
)
JSON = json_option()
NAME = typer.Argument(..., help="The backup's name under `backups:` in the front matter.")
SOME_NAME = typer.Argument(None, help="Only this backup set.", show_default=False)


def register(app: typer.Typer) -> None:
    """Add the `backup` group to the app."""
    group = typer.Typer(
        help="Backups: run them, list them, prove them with restore drills, watch the RPO.",
        no_args_is_help=True,
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("run", run, "opsbook backup run data"),
        ("list", list_, "opsbook backup list --json"),
        ("drill", drill, "opsbook backup drill data"),
        ("restore-test", drill, "opsbook backup restore-test data"),
        ("drills", drills, "opsbook backup drills data --json"),
        ("status", status, "opsbook backup status"),
        ("prune", prune, "opsbook backup prune data"),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(group, name="backup")


def _now() -> datetime:
    return datetime.now(UTC)


def _open(runbook: Path | None, as_json: bool) -> tuple[Runbook, dict[str, BackupSpec], Database]:
    """Return the runbook, its backups by name and its database."""
    # lazy: keeps backups.settings off the start-up of `opsbook --help`
    from opsbook.backups.settings import backup_specs

    book = load_or_exit(runbook, as_json)
    specs = backup_specs(book.settings, Path(book.path).resolve().parent)
    return book, specs, database_or_exit(runbook)


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value = value / 1024  # type: ignore[assignment]
    return str(value)


def _backup_line(view: BackupView) -> str:
    took = f"{view.duration_seconds:.1f}s" if view.duration_seconds is not None else "…"
    files = f"{view.files} files" if view.files is not None else ""
    drilled = f", drill {view.drilled}" if view.drilled else ""
    tail = f" — {view.detail}" if view.detail else ""
    return (
        f"#{view.id:<4} {view.name:12} {view.state:11} {when(view.started_at):>14}  {took:>7}  "
        f"{_size(view.size):>10}  {files}  {view.driver}{drilled}{tail}"
    )


def run(name: str = NAME, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Make a backup now: record it, write it whole, apply retention."""
    # lazy: keeps backups.service off the start-up of `opsbook --help`
    from opsbook.backups import service
    from opsbook.backups.monitoring_alerts import MonitoringAlerts
    from opsbook.backups.settings import find_spec
    from opsbook.backups.watch import watch_rpo

    book, specs, db = _open(runbook, as_json)
    spec = find_spec(specs, name)
    view = service.run_backup(db=db, spec=spec, clock=_now)
    watch_rpo(
        db=db,
        specs=[spec],
        rpo_seconds=book.disaster_recovery.rpo_seconds,
        now=_now(),
        alerts=MonitoringAlerts(db, book),
    )
    if as_json:
        print_json(json_data(view))
    else:
        say(_backup_line(view), fg="green" if view.state == "ok" else "red")
    if view.state != "ok":
        raise SystemExit(EXIT_FAILED)


def list_(
    name: str | None = SOME_NAME,
    limit: int = limit_option("How many backups, newest first."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List backups, newest first: when, how long, size, files, outcome, last drill."""
    # lazy: keeps backups.service off the start-up of `opsbook --help`
    from opsbook.backups import service

    _, _, db = _open(runbook, as_json)
    views = service.list_backups(db=db, name=name, limit=limit)
    if as_json:
        print_json(json_data(views))
        return
    if not views:
        say("No backups yet. Run one: opsbook backup run NAME")
    for view in views:
        say(_backup_line(view))


def _drill_line(view: DrillView) -> str:
    took = f"{view.duration_seconds:.1f}s" if view.duration_seconds is not None else "…"
    found = f"{view.matched}/{view.checked} equal"
    if view.mismatch_count:
        found += f", {view.mismatch_count} differ: {', '.join(view.mismatched[:5])}"
    if view.missing_count:
        found += f", {view.missing_count} missing: {', '.join(view.missing[:5])}"
    covered = (
        f"; coverage {view.coverage_proven}/{view.coverage_files} in the last "
        f"{view.coverage_window} drills"
        if view.coverage_window
        else ""
    )
    problems = "".join(f"\n    ! {p}" for p in view.problems)
    return (
        f"drill #{view.id} ({view.name} #{view.seq}) of backup #{view.backup_id}: {view.state}, "
        f"{found}, {took}{covered}{problems}"
    )


def drill(
    name: str = NAME,
    backup: int | None = typer.Option(
        None, "--backup", min=1, help="Which backup (default: the newest good one)."
    ),
    scratch: Path | None = typer.Option(
        None, "--scratch", help="Where to make the scratch directory (default: the system's temp)."
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Run a restore drill: restore into a scratch directory and compare with the manifest."""
    # lazy: keeps backups.drills off the start-up of `opsbook --help`
    from opsbook.backups.drills import run_drill
    from opsbook.backups.monitoring_alerts import MonitoringAlerts
    from opsbook.backups.settings import find_spec
    from opsbook.backups.watch import watch_rpo

    book, specs, db = _open(runbook, as_json)
    spec = find_spec(specs, name)
    alerts = MonitoringAlerts(db, book)
    view = run_drill(
        db=db, spec=spec, clock=_now, alerts=alerts, backup_id=backup, scratch_root=scratch
    )
    watch_rpo(
        db=db,
        specs=[spec],
        rpo_seconds=book.disaster_recovery.rpo_seconds,
        now=_now(),
        alerts=alerts,
    )
    if as_json:
        print_json(json_data(view))
    else:
        say(_drill_line(view), fg="green" if view.state == "passed" else "red")
        if view.alerted:
            say("  an alert was raised: see `opsbook alerts list`", err=True)
    if view.state != "passed":
        raise SystemExit(EXIT_FAILED)


def drills(
    name: str | None = SOME_NAME,
    limit: int = limit_option("How many drills, newest first."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List restore drills, newest first: what they restored and what they found."""
    # lazy: keeps backups.drills off the start-up of `opsbook --help`
    from opsbook.backups.drills import list_drills

    _, _, db = _open(runbook, as_json)
    views = list_drills(db=db, name=name, limit=limit)
    if as_json:
        print_json(json_data(views))
        return
    if not views:
        say("No restore drills yet. Run one: opsbook backup drill NAME")
    for view in views:
        say(_drill_line(view))


def _status_line(view: StatusView) -> str:
    from opsbook.moments import span

    last = view.last_backup
    said = (
        f"last backup #{last.id} {last.state} {when(last.started_at)}" if last else "no backup yet"
    )
    if view.proven_age_seconds is None:
        proven = "none proven by a drill"
    else:
        proven = f"newest proven {span(view.proven_age_seconds)} old"
    rpo = (
        f" (RPO {span(view.rpo_seconds)}{', OVER' if view.rpo_over else ''})"
        if view.rpo_seconds
        else ""
    )
    cover = (
        f"; coverage {view.coverage_proven}/{view.coverage_files} in {view.coverage_window} drills"
    )
    return f"{view.name:12} {view.driver:8} {said}; {proven}{rpo}{cover}"


def status(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Show each backup set: last backup, newest proven one against the RPO, coverage."""
    # lazy: keeps backups.watch off the start-up of `opsbook --help`
    from opsbook.backups.monitoring_alerts import MonitoringAlerts
    from opsbook.backups.watch import watch_rpo

    book, specs, db = _open(runbook, as_json)
    views = watch_rpo(
        db=db,
        specs=specs.values(),
        rpo_seconds=book.disaster_recovery.rpo_seconds,
        now=_now(),
        alerts=MonitoringAlerts(db, book),
    )
    if as_json:
        print_json(json_data(views))
        return
    if not views:
        say("The runbook declares no backups (front matter `backups:`).")
    for view in views:
        say(_status_line(view), fg="red" if view.rpo_over else "green")
    if any(v.rpo_over for v in views):
        raise SystemExit(EXIT_FAILED)


def prune(name: str = NAME, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Apply the set's retention now: remove what `keep` no longer keeps."""
    # lazy: keeps backups.service off the start-up of `opsbook --help`
    from opsbook.backups import service
    from opsbook.backups.settings import find_spec

    _, specs, db = _open(runbook, as_json)
    view = service.prune(db=db, spec=find_spec(specs, name), now=_now())
    if as_json:
        print_json(json_data(view))
        return
    removed = ", ".join(f"#{i}" for i in view.removed) or "nothing"
    say(f"{view.name}: removed {removed}; {view.kept} good backups kept")
