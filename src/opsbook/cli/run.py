"""`opsbook run | resume`: run a procedure of the runbook, or go on with a stopped run."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsbook.cli.output import (
    EXIT_BAD_INPUT,
    console,
    fail,
    fail_bad_input,
    load_or_exit,
    print_json,
)
from opsbook.cli.run_args import RunArgs
from opsbook.cli.run_drive import drive_run, finish_run
from opsbook.cli.who import me

if TYPE_CHECKING:
    import typer

    from opsbook.procedures.guard import RunGuard
    from opsbook.procedures.plan import PlanError
    from opsbook.procedures.stores.light import SqliteRunStore
    from opsbook.procedures.views import RunDetailView
    from opsbook.store.database import Database


def register(app: typer.Typer) -> None:
    """Add `run`, `resume` and the `runs` group to the app.

    Their Typer faces are made here: `main` runs a plain `opsbook run` command line through
    `run_procedure` without importing Typer (see run_args.py), and so imports this module.
    """
    # lazy: off the start-up of a plain `opsbook run`: typer, cli.runs, cli.ids
    import typer

    from opsbook.cli import runs
    from opsbook.cli.ids import id_argument

    def run(
        runbook_or_id: str = typer.Argument(
            ...,
            metavar="RUNBOOK.md",
            help="Runbook file. Leave it out to use $OPSBOOK_RUNBOOK or ./RUNBOOK.md; the one "
            "argument is then the ID.",
        ),
        ident: str | None = typer.Argument(
            None,
            metavar="ID",
            help="What to run: a procedure id, an issue id (ID, ID:diagnosis, ID:resolution) "
            "or disaster-recovery; `opsbook inspect` lists them.",
            show_default=False,
        ),
        param: list[str] = typer.Option([], "--param", "-p", help="A parameter, NAME=VALUE."),
        host: str | None = typer.Option(
            None,
            "--host",
            help="Host or group of the front matter: steps with no host= run there, steps on "
            "a group run only on its hosts in it.",
        ),
        yes: bool = typer.Option(False, "--yes", "-y", help="Confirm every manual step."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; run nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    ) -> None:
        args = RunArgs(runbook_or_id, ident, tuple(param), host, yes, dry_run, as_json)
        run_procedure(args)

    def resume(
        run_id: int = id_argument("The run to go on with (see `opsbook runs list`)."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Confirm every manual step."),
        runbook: Path | None = typer.Option(
            None, "--runbook", "-f", help="Runbook whose state holds the run."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    ) -> None:
        resume_run(run_id, yes, runbook, as_json)

    app.command(
        "run",
        help="Run a procedure, a troubleshooting issue or the disaster recovery steps.\n\n"
        "Example: opsbook run RUNBOOK.md startup --param VERSION=1.4 --yes",
    )(run)
    app.command(
        "resume",
        help="Go on with an interrupted or waiting run from the step where it stopped.\n\n"
        "Example: opsbook resume 12 --yes",
    )(resume)
    runs.register(app)


def _params(pairs: Iterable[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f'--param "{pair}" is not NAME=VALUE', hint="for example --param VERSION=1.4")
        values[name.strip()] = value
    return values


def _now() -> Any:
    return datetime.now(UTC)


def _plan_failed(error: PlanError, as_json: bool) -> None:
    if as_json:
        print_json({"error": "cannot run", "problems": error.problems, "hint": error.hint})
        raise SystemExit(EXIT_BAD_INPUT)
    err = console(stderr=True)
    # lazy: keeps rich off the start-up of a plain `opsbook run`
    from rich.markup import escape

    for problem in error.problems:
        err.print(f"[bold red]error[/]: {escape(problem)}", markup=True, soft_wrap=True)
    if error.hint:
        err.print(f"  [dim]hint: {escape(error.hint)}[/]", markup=True, soft_wrap=True)
    raise SystemExit(EXIT_BAD_INPUT)


def _ask_missing(error: PlanError, values: dict[str, str], as_json: bool) -> bool:
    """On a terminal, ask for the parameters that have no value; say whether all were given."""
    # lazy: keeps runbook.secret_names off the start-up of `opsbook --help`
    from opsbook.runbook.secret_names import is_secret_name

    only_missing = len(error.missing) == len(error.problems)
    if not error.missing or not only_missing or as_json or not sys.stdin.isatty():
        return False
    err = console(stderr=True)
    for name in error.missing:
        answer = err.input(f"{name}: ", password=is_secret_name(name))
        if not answer:
            return False
        values[name] = answer
    return True


def run_procedure(args: RunArgs) -> None:
    """Run what `opsbook run` was asked: plan it, drive it, record it, print how it ended."""
    # lazy: keeps procedures.plan off the start-up of `opsbook --help`
    from opsbook.procedures.plan import PlanError, build_plan

    runbook_or_id, ident, host, as_json = args.runbook_or_id, args.ident, args.host, args.as_json
    path, target = (Path(runbook_or_id), ident) if ident else (None, runbook_or_id)
    values = _params(args.param)
    runbook = load_or_exit(path, as_json, cached=True)
    try:
        try:
            plan = build_plan(runbook, target=target, params=values, environ=os.environ, host=host)
        except PlanError as exc:
            if not _ask_missing(exc, values, as_json):
                raise
            plan = build_plan(runbook, target=target, params=values, environ=os.environ, host=host)
    except PlanError as exc:
        _plan_failed(exc, as_json)
        return
    if args.dry_run:
        # lazy: keeps cli.plan_view off the start-up of a plain `opsbook run`
        from opsbook.cli.plan_view import print_plan

        print_plan(plan, runbook, as_json)
        return
    who = me()
    database = _Database(Path(runbook.path))
    guard = _guard(database)
    try:
        guard.check(plan, _now(), None)
    except PlanError as exc:
        _plan_failed(exc, as_json)
        return
    # What the guard needed the whole database for (a shutdown) is recorded there too.
    local = _local_store(Path(runbook.path)) if database.opened is None else None
    if local is not None:
        try:
            run_id = local.start_run(plan, who)
            end = drive_run(local, plan, runbook, run_id, who, args.yes, as_json, resumed=False)
            finish_run(partial(_read_light, local), end, as_json)
        finally:
            local.connection.close()  # now, not whenever the collector would reach it
    # lazy: off the start-up of a plain `opsbook run`: cli.runs, ...
    from opsbook.cli.runs import show_data
    from opsbook.procedures.service import DatabaseRunStore, start_run

    db = database()
    try:
        run_id = start_run(db=db, plan=plan, me=who, now=_now, guard=guard)
    except PlanError as exc:
        _plan_failed(exc, as_json)
        return
    end = drive_run(
        DatabaseRunStore(db, _now), plan, runbook, run_id, who, args.yes, as_json, False
    )
    finish_run(partial(show_data, db), end, as_json)


def _read_light(store: SqliteRunStore, run_id: int) -> RunDetailView | None:
    """Read a run back from the light store's file, for --json."""
    # lazy: only --json reads the record back, after the steps have run
    from opsbook.procedures.stores.reader import read_run

    return read_run(store.rows, run_id)


def _local_store(runbook_path: Path) -> SqliteRunStore | None:
    """Return the light SQLite store when it can record this run, else None.

    Not for PostgreSQL, nor a missing or out-of-date schema (SQLAlchemy and Alembic handle
    those).
    """
    # lazy: off the start-up of `opsbook --help`: procedures.stores.light, ...
    from opsbook.procedures.stores.light import open_sqlite_store
    from opsbook.store.database import state_dir
    from opsbook.store.schema_heads import current_heads

    if os.environ.get("OPSBOOK_DATABASE_URL"):
        return None
    path = state_dir(runbook_path, os.environ) / "opsbook.db"
    return open_sqlite_store(path, current_heads(), _now)


def _guard(database: Callable[[], Database]) -> RunGuard:
    """Return the guard every run passes before it starts or goes on (incidents/guard.py)."""
    # lazy: keeps incidents.guard off the start-up of `opsbook --help`
    from opsbook.incidents.guard import ShutdownGuard

    return ShutdownGuard(database)


def resume_run(run_id: int, yes: bool, runbook: Path | None, as_json: bool) -> None:
    """Go on with a stopped run from the step where it stopped (`opsbook resume`)."""
    # lazy: off the start-up of `opsbook --help`: procedures.plan, procedures.replan, ...
    from opsbook.procedures.plan import PlanError
    from opsbook.procedures.replan import prepare_resume
    from opsbook.runbook.loader import load_runbook
    from opsbook.runbook.problems import RunbookError

    who = me()
    # lazy: keeps cli.runs off the start-up of a plain `opsbook run`
    from opsbook.cli.runs import database_for, show_data

    db = database_for(runbook)
    if db is None:
        fail(
            f"no run {run_id}: no run was ever recorded here",
            EXIT_BAD_INPUT,
            "runs live in .opsbook/ beside the runbook: give it with --runbook, or set "
            "OPSBOOK_HOME",
        )
    try:
        state = prepare_resume(
            db=db, run_id=run_id, me=who, environ=os.environ, now=_now, guard=_guard(lambda: db)
        )
    except PlanError as exc:
        _plan_failed(exc, as_json)
        return
    except RunbookError as exc:
        fail_bad_input(exc, as_json)
    book = load_runbook(Path(state.plan.runbook_path))
    if not as_json:
        done = len(state.outcomes)
        console().print(
            f"Resuming run {run_id} ({state.previous}); {done} finished "
            f"step{'s' if done != 1 else ''} will not run again."
        )
    # lazy: keeps procedures.service off the start-up of `opsbook --help`
    from opsbook.procedures.service import DatabaseRunStore

    end = drive_run(
        DatabaseRunStore(db, _now),
        state.plan,
        book,
        run_id,
        who,
        yes,
        as_json,
        resumed=True,
        outcomes=state.outcomes,
        passed_hosts=state.passed_hosts,
        attempts_before=state.attempts_before,
    )
    finish_run(partial(show_data, db), end, as_json)


class _Database:
    """The runbook's database, opened when first asked for: a plain run may never need it."""

    def __init__(self, runbook_path: Path) -> None:
        self.runbook_path = runbook_path
        self.opened: Database | None = None

    def __call__(self) -> Database:
        if self.opened is None:
            # lazy: keeps store.database off the start-up of `opsbook --help`
            from opsbook.store.database import open_for

            self.opened = open_for(self.runbook_path, os.environ)
        return self.opened
