"""`opsbook dr drill | list | show`: disaster recovery drills that measure RTO and RPO.

Thin: read the runbook and its `dr:` front matter, call `opsbook.backups.dr`, present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli.ids import id_argument, limit_option
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
    from opsbook.backups.views import DrDrillView

RUNBOOK = runbook_option(
    "Runbook whose Disaster Recovery it drills (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."
)
JSON = json_option()


def register(app: typer.Typer) -> None:
    """Add the `dr` group to the app."""
    group = typer.Typer(
        help="Disaster recovery drills: run the recovery on a scratch target, measure RTO and RPO.",
        no_args_is_help=True,
    )
    group.command(
        "drill",
        help="Run the Disaster Recovery Steps on the scratch target; report RTO and RPO."
        "\n\nExample: opsbook dr drill",
    )(drill)
    group.command("list", help="List DR drills, newest first.\n\nExample: opsbook dr list --json")(
        list_
    )
    group.command(
        "show", help="Show one DR drill's report (Markdown).\n\nExample: opsbook dr show 3"
    )(show)
    app.add_typer(group, name="dr")


def _now() -> datetime:
    return datetime.now(UTC)


def drill(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Run the Disaster Recovery Steps on the scratch target and report RTO and RPO."""
    # lazy: keeps backups.dr off the start-up of `opsbook --help`
    from opsbook.backups.dr import run_dr_drill
    from opsbook.backups.dr_settings import dr_plan
    from opsbook.backups.shell import BashRunner

    book = load_or_exit(runbook, as_json)
    db = database_or_exit(runbook)
    view = run_dr_drill(
        db=db,
        runbook=book,
        plan=dr_plan(book.settings),
        base=Path(book.path).resolve().parent,
        clock=_now,
        runner=BashRunner(),
    )
    _present(view, as_json)
    if view.state != "passed":
        raise SystemExit(EXIT_FAILED)


def _present(view: DrDrillView, as_json: bool) -> None:
    if as_json:
        print_json(json_data(view))
        return
    say(f"DR drill #{view.id}", bold=True)
    say(view.report.rstrip())


def list_(
    limit: int = limit_option("How many drills, newest first."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List DR drills, newest first."""
    # lazy: keeps backups.dr off the start-up of `opsbook --help`
    from opsbook.backups.dr import list_dr_drills
    from opsbook.backups.dr_report import measured_against

    views = list_dr_drills(db=database_or_exit(runbook), limit=limit)
    if as_json:
        print_json(json_data(views))
        return
    if not views:
        say("No DR drills yet. Run one: opsbook dr drill")
    for v in views:
        say(
            f"#{v.id:<4} {when(v.started_at):>14}  {v.state:7} "
            f"RTO {measured_against(v.rto_seconds, v.rto_target)}; "
            f"RPO {measured_against(v.rpo_seconds, v.rpo_target)}"
        )


def show(
    drill_id: int = id_argument("The DR drill's id (see `opsbook dr list`)."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Show one DR drill's report."""
    # lazy: keeps backups.dr off the start-up of `opsbook --help`
    from opsbook.backups.dr import show_dr_drill

    _present(show_dr_drill(db=database_or_exit(runbook), drill_id=drill_id), as_json)
