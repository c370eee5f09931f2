"""`opsbook config ...`, `opsbook env check`, `opsbook history`: configuration and history.

Thin: parse, call a use case of `opsbook.deploy`, present. Heavy imports stay inside the
commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli import who
from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import EXIT_FAILED, console, json_data, load_or_exit, print_json, say

if TYPE_CHECKING:
    from opsbook.deploy.config_targets import ConfigTarget
    from opsbook.deploy.masking import Masker
    from opsbook.deploy.views import DriftReport
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUNBOOK = runbook_option("Runbook whose Configuration Management tables these are.")
JSON = json_option()
FILES = typer.Argument(None, help="Only these files (File cell, path or host:path).")


def register(app: typer.Typer) -> None:
    """Add the `config` and `env` groups and the `history` command to the app."""
    config = typer.Typer(
        help="Configuration drift: the Configuration Files table as a hashed baseline.",
        no_args_is_help=True,
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("baseline", baseline, "opsbook config baseline"),
        ("drift", drift, "opsbook config drift --json"),
        ("versions", versions, "opsbook config versions release"),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        config.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(config, name="config")
    env = typer.Typer(
        help="Environment: the Environment Variables table checked.", no_args_is_help=True
    )
    env.command(
        "check", help=f"{env_check.__doc__}\n\nExample: opsbook env check --host web1 --json"
    )(env_check)
    app.add_typer(env, name="env")
    app.command("history", help=f"{history.__doc__}\n\nExample: opsbook history --json")(history)
    app.command(
        "deployments", help=f"{deployments.__doc__}\n\nExample: opsbook deployments --json"
    )(deployments)


def _now() -> datetime:
    return datetime.now(UTC)


def _context(
    runbook: Path | None, as_json: bool, files: list[str] | None
) -> tuple[Runbook, list[ConfigTarget], Database, Masker]:
    # lazy: keeps the store and the domain off the start-up of `opsbook --help`
    from opsbook.deploy.config_targets import config_targets, find_targets
    from opsbook.deploy.masking import masker_for
    from opsbook.store.database import open_for

    book = load_or_exit(runbook, as_json)
    targets = find_targets(config_targets(book), tuple(files or ()))  # BadInput: exit 2
    return book, targets, open_for(Path(book.path)), masker_for(book, os.environ)


def baseline(
    files: list[str] | None = FILES, runbook: Path | None = RUNBOOK, as_json: bool = JSON
) -> None:
    """Record each configuration file's hash, mode and owner (and a masked copy) as its baseline."""
    from opsbook.deploy import service
    from opsbook.deploy.file_readers import reader_for

    book, targets, db, masker = _context(runbook, as_json, files)
    views = service.record_baseline(
        db=db,
        targets=targets,
        reader=reader_for(book),
        masker=masker,
        actor=who.user(),
        now=_now(),
    )
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        where = view.path if view.host == "local" else f"{view.host}:{view.path}"
        state = (
            f"{view.sha256[:12]} {view.mode} {view.owner}:{view.group}"
            if view.exists
            else "missing"
        )
        say(f"{where}: version {view.version}  {state}")


def drift(
    files: list[str] | None = FILES,
    accept: bool = typer.Option(
        False, "--accept", help="Make what the files are now their baseline (old kept)."
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Report what changed since the baseline: content (a diff), mode, owner, missing.

    A change an opsbook run made names that run and step; any other raises a ConfigDrift
    alert. Exit status 1 when a file drifted (0 with --accept).
    """
    from opsbook.deploy import service
    from opsbook.deploy.file_readers import reader_for

    book, targets, db, masker = _context(runbook, as_json, files)
    reader = reader_for(book)
    if accept:
        accepted = service.accept_drift(
            db=db,
            runbook=book,
            targets=targets,
            reader=reader,
            masker=masker,
            actor=who.user(),
            now=_now(),
        )
        if as_json:
            print_json(json_data(accepted))
            return
        for view in accepted:
            say(f"{view.path}: baseline now version {view.version} ({view.reason})")
        if not accepted:
            say("nothing drifted: no baseline moved")
        return
    report = service.check_drift(
        db=db, runbook=book, targets=targets, reader=reader, masker=masker, now=_now()
    )
    if as_json:
        print_json(json_data(report))
    else:
        _show(report)
    if report.drifted:
        raise typer.Exit(EXIT_FAILED)


def _show(report: DriftReport) -> None:
    from rich.text import Text

    out = console()
    for view in report.files:
        where = view.path if view.host == "local" else f"{view.host}:{view.path}"
        if view.status != "drifted":
            style = "green" if view.status == "unchanged" else "yellow"
            out.print(Text.assemble((view.status, style), f"  {where}"), highlight=False)
            continue
        what = ", ".join(
            f"{c.kind} {c.before} → {c.after}" if c.kind in ("mode", "owner") else c.kind
            for c in view.changes
        )
        cause = view.cause
        label = (
            f"by run {cause.run_id} ({cause.procedure}), step {cause.step}: {cause.text}"
            if cause
            else "outside opsbook (alert raised)"
        )
        out.print(Text.assemble(("drifted", "bold red"), f"  {where}: {what}"), highlight=False)
        out.print(f"  changed {label}", highlight=False, markup=False)
        if view.diff:
            out.print(view.diff.rstrip("\n"), highlight=False, markup=False)
    say(
        f"{report.drifted} drifted, {report.unexplained} outside opsbook"
        + (f"; {len(report.alerts_raised)} alert(s) raised" if report.alerts_raised else "")
    )


def versions(
    file: str = typer.Argument(..., help="The file (File cell, path or host:path)."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List every accepted version of a configuration file, newest first."""
    from opsbook.deploy import service

    _, targets, db, _ = _context(runbook, as_json, [file])
    views = [v for t in targets for v in service.list_versions(db=db, target=t)]
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        say(
            f"v{view.version}  {view.recorded_at:%Y-%m-%d %H:%M}  {view.sha256[:12]} "
            f"{view.mode} {view.owner}:{view.group}  {view.reason}"
        )


def env_check(
    host: str | None = typer.Option(
        None, "--host", help="Check the environment a step on this host gets (over SSH)."
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Check the Environment Variables table against the environment; secrets never shown."""
    from opsbook.deploy.environment import check_environment

    book = load_or_exit(runbook, as_json)
    if host is None:
        report = check_environment(book, os.environ, "local")
    else:
        from opsbook.deploy.remote_env import host_environment

        report = check_environment(book, host_environment(book, host), host)
    if as_json:
        print_json(json_data(report))
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False)
        for column in ("Variable", "Status", "Value", "Note"):
            table.add_column(column)
        style = {"ok": "green", "default": "cyan", "unset": "dim"}
        for view in report.variables:
            value = "(secret)" if view.secret and view.status == "ok" else (view.value or "")
            table.add_row(
                Text(view.name),
                Text(view.status, style=style.get(view.status, "bold red")),
                Text(value),
                Text(view.message),
            )
        console().print(table)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def history(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """List the runbook's Version History: each version, when, who, what, and its cause."""
    from opsbook.deploy.history import version_history

    rows = version_history(load_or_exit(runbook, as_json))
    if as_json:
        print_json(json_data(rows))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for column in ("Version", "Date", "Author", "Changes", "Cause"):
        table.add_column(column)
    for row in rows:
        cause = " ".join(
            ([f"run {row.run_id}"] if row.run_id else [])
            + ([f"incident {row.incident_id}"] if row.incident_id else [])
        )
        table.add_row(*(Text(c) for c in (row.version, row.date, row.author, row.changes, cause)))
    console().print(table)


def deployments(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Show the version live on each deployment target, and the one before it."""
    from opsbook.cli.output import database_or_exit
    from opsbook.deploy.service import deployed_versions

    views = deployed_versions(db=database_or_exit(runbook))
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        last = (
            ""
            if view.last_run == view.current_run
            else f"; last run {view.last_run}: {view.last_version} {view.last_status}"
        )
        say(
            f"{view.target}: {view.current or 'none'} live "
            f"(run {view.current_run or '-'}), before it {view.previous or 'none'}{last}"
        )
    if not views:
        say("no deployment runs yet (a run of a procedure with a VERSION parameter)")
