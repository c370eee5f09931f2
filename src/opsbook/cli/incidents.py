"""`opsbook incidents ...`: open, list, show, acknowledge, note, resolve, close, post-mortem.

Thin: parse, call a use case of `opsbook.incidents`, present. Heavy imports stay inside
the commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsbook.cli import who
from opsbook.cli.ids import id_argument, limit_option
from opsbook.cli.options import (
    cursor_option,
    json_option,
    runbook_option,
    say_more,
    since_option,
    since_or_exit,
)
from opsbook.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    console,
    fail,
    json_data,
    load_or_exit,
    print_json,
    when,
)
from opsbook.moments import aware

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from opsbook.incidents.views import EventView, IncidentView
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUNBOOK = runbook_option("Runbook file (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md).")
JSON = json_option()
ID = id_argument("The incident's id (see `opsbook incidents list`).")
STYLE = {
    "detected": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
    "closed": "dim",
}
SEV_STYLE = {"SEV-1": "bold white on red", "SEV-2": "bold red", "SEV-3": "yellow"}


def register(app: typer.Typer) -> None:
    """Add the `incidents` group to the app."""
    group = typer.Typer(
        help="Incidents: response timers, escalation, timeline, post-mortems.", no_args_is_help=True
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("open", open_, 'opsbook incidents open --severity SEV-2 --title "Items lost"'),
        ("list", list_, "opsbook incidents list --status open --since 1 day --json"),
        ("show", show, "opsbook incidents show 3"),
        ("ack", ack, "opsbook incidents ack 3"),
        ("mitigate", mitigate, "opsbook incidents mitigate 3"),
        ("resolve", resolve, 'opsbook incidents resolve 3 --note "restarted"'),
        ("close", close, "opsbook incidents close 3"),
        ("note", note, 'opsbook incidents note 3 "disk was full" --kind root-cause'),
        ("update", update, 'opsbook incidents update 3 "Mitigated; watching metrics"'),
        ("severity", severity, "opsbook incidents severity 3 SEV-1"),
        ("action", action, 'opsbook incidents action 3 "Alert at 70%" --owner "Lena Vogel"'),
        ("action-done", action_done, "opsbook incidents action-done 3 1"),
        ("diagnose", diagnose, "opsbook incidents diagnose 3 --yes"),
        ("force-run", force_run, 'opsbook incidents force-run 3 shutdown --reason "why"'),
        ("postmortem", postmortem, "opsbook incidents postmortem 3 --update-runbook"),
        ("escalate", escalate, "opsbook incidents escalate"),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(group, name="incidents")


def _now() -> datetime:
    return datetime.now(UTC)


def _context(runbook: Path | None, as_json: bool) -> tuple[Runbook, Database]:
    # lazy: keeps store.database off the start-up of `opsbook --help`
    from opsbook.store.database import open_for

    book = load_or_exit(runbook, as_json)
    return book, open_for(Path(book.path))


def _deliver(book: Runbook, db: Database) -> None:
    """Send queued pages now when the runbook configures a channel (else the server will)."""
    # lazy: off the start-up of `opsbook --help`: incidents.channels, incidents.paging, ...
    from opsbook.incidents.channels import pager_for
    from opsbook.incidents.paging import deliver_pages
    from opsbook.notify.settings import NotifySettingsError

    try:
        pager = pager_for(book)
    except NotifySettingsError as exc:
        console(stderr=True).print(
            f"warning: pages stay queued: {book.path}: {exc}", markup=False, highlight=False
        )
        return
    if pager is not None:
        deliver_pages(db=db, pager=pager, now=_now())


def _countdown(incident: IncidentView) -> str:
    if incident.status != "detected":
        return ""
    left = (incident.respond_by - _now()).total_seconds()
    text = f"respond by {when(incident.respond_by, due=True)}"
    return text if left >= 0 else f"[bold red]{text}[/]"


def _line(incident: IncidentView) -> str:
    # lazy: keeps rich off the start-up of `opsbook --help`
    from rich.markup import escape

    sev, status = incident.severity, incident.status
    security = " [bold magenta]SECURITY[/]" if incident.security else ""
    return (
        f"[{SEV_STYLE.get(sev, 'dim')}]{sev}[/] #{incident.id} {escape(incident.title)}"
        f"{security} — [{STYLE.get(status, '')}]{status}[/] {_countdown(incident)}"
    )


def _print(incident: IncidentView, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(json_data(incident))
    else:
        console().print(f"{verb}: {_line(incident)}", markup=True, highlight=False)


def open_(
    severity_level: str = typer.Option(..., "--severity", "-s", help="SEV-1 .. SEV-4."),
    title: str = typer.Option(..., "--title", "-t", help="What is wrong, in one line."),
    security: bool = typer.Option(False, "--security", help="A security incident."),
    commander: str | None = typer.Option(None, "--commander", help="Who leads the response."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Open an incident: respond-by from its severity, the primary contact paged."""
    # lazy: off the start-up of `opsbook --help`: incidents, incidents.review, store.database
    from opsbook.evidence.place import evidence_root
    from opsbook.incidents import service
    from opsbook.incidents.review import capture_logs

    book, db = _context(runbook, as_json)
    now, actor = _now(), who.user()
    opened = service.open_incident(
        db=db,
        runbook=book,
        title=title,
        severity_level=severity_level,
        actor=actor,
        now=now,
        security=security,
        commander=commander,
    )
    incident_id = opened.incident.id
    if security:
        vault = evidence_root(Path(book.path), book.settings, os.environ)
        capture_logs(
            db=db, runbook=book, incident_id=incident_id, vault=vault, actor=actor, now=now
        )
    _deliver(book, db)
    shown = service.show_incident(db=db, incident_id=incident_id)
    if as_json:
        print_json(json_data(shown))
        return
    out = console()
    out.print(f"Opened: {_line(shown)}", markup=True, highlight=False)
    out.print(f"  acknowledge with: opsbook incidents ack {incident_id}")
    for event in shown.timeline:
        if event.kind in ("page", "triage", "evidence"):
            out.print(f"  {event.text}", markup=False, highlight=False, soft_wrap=True)
    if security:
        out.print("  [bold]DO NOT shut down systems — preserve evidence.[/]", markup=True)


def list_(
    status: str = typer.Option("all", "--status", help="open (not resolved or closed) or all."),
    only_open: bool = typer.Option(False, "--open", help="The same as --status open."),
    since: str | None = since_option("incidents opened"),
    limit: int = limit_option("How many, newest first."),
    cursor: str | None = cursor_option(),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List incidents, newest first."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import list_incidents

    if status not in ("open", "all"):
        fail(f'--status "{status}" is not one of: open, all', EXIT_BAD_INPUT)
    moment = since_or_exit(since)
    _, db = _context(runbook, as_json)
    shown = list_incidents(
        db=db, only_open=only_open or status == "open", limit=limit, cursor=cursor
    )
    # Newest first: the incidents opened since the moment are the front of the list.
    rows = [r for r in shown.items if moment is None or aware(r.opened_at) >= moment]
    if as_json:
        print_json(json_data(rows))
    elif not rows:
        console().print('No incidents. Open one with: opsbook incidents open -s SEV-3 -t "..."')
    else:
        for row in rows:
            console().print(_line(row), markup=True, highlight=False)
    say_more(shown, len(shown.items))


def show(incident_id: int = ID, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Show an incident: phase, timeline, pages, action items, evidence, matching issues."""
    # lazy: off the start-up of `opsbook --help`: rich, incidents, incidents.lifecycle, ...
    from rich.markup import escape

    from opsbook.incidents import service
    from opsbook.incidents.lifecycle import Status
    from opsbook.incidents.phases import progress

    book, db = _context(runbook, as_json)
    shown = service.show_incident(db=db, incident_id=incident_id)
    phases = progress(book, Status(shown.status))
    phase = next((p.name for p in phases if p.state == "current"), phases[-1].name)
    matches = service.suggestions(db=db, runbook=book, incident_id=incident_id)
    if as_json:
        data = json_data(shown)
        data["phase"] = phase
        data["suggestions"] = [
            {"issue": m.issue_id, "title": m.title, "score": m.score, "reasons": list(m.reasons)}
            for m in matches
        ]
        print_json(data)
        return
    out = console()
    out.print(_line(shown), markup=True, highlight=False)
    out.print(
        f"  phase: [bold]{escape(phase)}[/]  commander: "
        f"{escape(shown.commander or '—')}  opened {when(shown.opened_at)} by "
        f"{escape(shown.opened_by)}",
        markup=True,
    )
    for event in shown.timeline:
        out.print(
            f"  [dim]{when(event.at)}[/] {escape(event.actor):>10} "
            f"[bold]{event.kind:<13}[/] {escape(event.text)}",
            markup=True,
            soft_wrap=True,
        )
    for item in shown.action_items:
        out.print(
            f"  action {item.id} [{item.status}] {escape(item.text)} — {escape(item.owner)}",
            markup=True,
        )
    for match in matches:
        out.print(
            f"  suggested: {escape(match.title)} — opsbook incidents diagnose "
            f"{incident_id} {match.issue_id}",
            markup=True,
        )


def _transition(
    incident_id: int, runbook: Path | None, as_json: bool, event: str, text: str = ""
) -> None:
    # lazy: off the start-up of `opsbook --help`: incidents, incidents.lifecycle
    from opsbook.incidents import service
    from opsbook.incidents.lifecycle import Event

    _, db = _context(runbook, as_json)
    changed = service.transition(
        db=db,
        incident_id=incident_id,
        event=Event(event),
        actor=who.user(),
        now=_now(),
        text=text,
    )
    _print(changed, as_json, event.capitalize().rstrip("e") + "ed")


def ack(incident_id: int = ID, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Acknowledge an incident: you have it; escalation stops."""
    _transition(incident_id, runbook, as_json, "acknowledge")


def mitigate(incident_id: int = ID, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Mark an incident mitigated: the impact is contained, the fix is not done yet."""
    _transition(incident_id, runbook, as_json, "mitigate")


def resolve(
    incident_id: int = ID,
    text: str = typer.Option("", "--note", help="What fixed it."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Resolve an incident (acknowledging it later will not reopen it)."""
    _transition(incident_id, runbook, as_json, "resolve", text)


def close(incident_id: int = ID, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Close a resolved incident once its post-mortem is done."""
    _transition(incident_id, runbook, as_json, "close")


def note(
    incident_id: int = ID,
    text: str = typer.Argument(..., help="The note."),
    kind: str = typer.Option(
        "note",
        "--kind",
        help="note, root-cause, trigger, impact, "
        "lesson or resolution (these fill the post-mortem).",
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Add a note to the timeline."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import add_note

    _, db = _context(runbook, as_json)
    event = add_note(
        db=db, incident_id=incident_id, text=text, actor=who.user(), now=_now(), kind=kind
    )
    print_json(json_data(event)) if as_json else console().print(
        f"Noted on incident {incident_id}."
    )


def update(
    incident_id: int = ID,
    text: str = typer.Argument(..., help="The status update for stakeholders."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Send a status update to the emergency contacts and keep it in the timeline."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import post_status_update

    book, db = _context(runbook, as_json)
    event = post_status_update(
        db=db, runbook=book, incident_id=incident_id, text=text, actor=who.user(), now=_now()
    )
    _deliver(book, db)
    if as_json:
        print_json(json_data(event))
    else:
        console().print(f"Status update sent for {incident_id}.")


def severity(
    incident_id: int = ID,
    level: str = typer.Argument(..., help="The new severity, SEV-1 .. SEV-4."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Change an open incident's severity; respond-by follows."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import change_severity

    book, db = _context(runbook, as_json)
    changed = change_severity(
        db=db,
        runbook=book,
        incident_id=incident_id,
        severity_level=level,
        actor=who.user(),
        now=_now(),
    )
    _deliver(book, db)
    _print(changed, as_json, "Severity changed")


def action(
    incident_id: int = ID,
    text: str = typer.Argument(..., help="The follow-up work."),
    owner: str = typer.Option(..., "--owner", help="Who will do it."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Track a post-mortem action item with its owner."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import add_action_item

    _, db = _context(runbook, as_json)
    item = add_action_item(
        db=db, incident_id=incident_id, text=text, owner=owner, actor=who.user(), now=_now()
    )
    print_json(json_data(item)) if as_json else console().print(f"Action item {item.id} added.")


def action_done(
    incident_id: int = ID,
    item_id: int = id_argument("The action item's id."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Mark an action item done."""
    # lazy: keeps incidents.service off the start-up of `opsbook --help`
    from opsbook.incidents.service import complete_action_item

    _, db = _context(runbook, as_json)
    item = complete_action_item(
        db=db, incident_id=incident_id, item_id=item_id, actor=who.user(), now=_now()
    )
    print_json(json_data(item)) if as_json else console().print(f"Action item {item_id} done.")


def _run_linked(
    book: Runbook,
    db: Database,
    incident_id: int,
    yes: bool,
    start: Callable[..., Coroutine[object, object, EventView]],
    as_json: bool,
) -> EventView:
    # lazy: off the start-up of `opsbook --help`: asyncio, incidents.diagnosis, ...
    import asyncio

    from opsbook.procedures.confirm import AutoConfirmer, NobodyConfirmer
    from opsbook.procedures.executors.session_shell import local_executor
    from opsbook.procedures.executors.ssh_hosts import SshHosts
    from opsbook.procedures.plan import PlanError
    from opsbook.procedures.runner import QuietReporter

    me = who.me()
    confirmer = AutoConfirmer(me.user) if yes else NobodyConfirmer()
    err = console(stderr=True)
    status = (
        err.status("Running; the output goes into the incident's timeline…")
        if err.is_terminal and not as_json
        else contextlib.nullcontext()
    )
    try:
        with status:
            result = asyncio.run(
                start(
                    db=db,
                    runbook=book,
                    incident_id=incident_id,
                    me=me,
                    environ=os.environ,
                    confirmer=confirmer,
                    reporter=QuietReporter(),
                    local=local_executor(book.settings),
                    remote=SshHosts(book),
                    now=_now,
                )
            )
    except PlanError as exc:
        for problem in exc.problems[1:]:
            err.print(problem, markup=False, highlight=False, soft_wrap=True)
        fail(exc.problems[0], EXIT_BAD_INPUT, exc.hint)
    return result


def _print_run(event: EventView, as_json: bool) -> None:
    if as_json:
        print_json(json_data(event))
        raise typer.Exit(0 if event.data["status"] == "succeeded" else EXIT_FAILED)
    out = console()
    out.print(event.text, markup=False, highlight=False)
    for attempt in event.data["attempts"]:
        out.print(
            f"  $ {attempt['command'] or attempt['text']}  → {attempt['status']}",
            markup=False,
            highlight=False,
        )
        for line in (attempt["stdout"] + attempt["stderr"]).splitlines()[-8:]:
            out.print(f"    │ {line}", markup=False, highlight=False)
    if event.data["status"] != "succeeded":
        raise typer.Exit(EXIT_FAILED)


def diagnose(
    incident_id: int = ID,
    issue: str | None = typer.Argument(None, help="Issue id (default: the best match)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm manual steps."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Run a matching issue's diagnosis steps; the output goes into the timeline."""
    # lazy: keeps incidents.diagnosis off the start-up of `opsbook --help`
    from opsbook.incidents.diagnosis import run_diagnosis

    book, db = _context(runbook, as_json)

    async def start(**kw: Any) -> EventView:
        return await run_diagnosis(issue=issue, **kw)

    _print_run(_run_linked(book, db, incident_id, yes, start, as_json), as_json)


def force_run(
    incident_id: int = ID,
    target: str = typer.Argument(..., help="The procedure to run despite the incident."),
    reason: str = typer.Option(..., "--reason", help="Why it must run now (kept)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm manual steps."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """As an admin, run a shutdown procedure during a security incident, with a reason."""
    # lazy: keeps incidents.diagnosis off the start-up of `opsbook --help`
    from opsbook.incidents.diagnosis import run_forced

    book, db = _context(runbook, as_json)

    async def start(**kw: Any) -> EventView:
        return await run_forced(target=target, reason=reason, **kw)

    _print_run(_run_linked(book, db, incident_id, yes, start, as_json), as_json)


def postmortem(
    incident_id: int = ID,
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write it."),
    update_runbook: bool = typer.Option(
        False, "--update-runbook", help="Add the lesson to the Troubleshooting Guide."
    ),
    issue_title: str | None = typer.Option(None, "--issue-title", help="Title of that issue."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Write the post-mortem (Markdown), pre-filled from the timeline."""
    # lazy: off the start-up of `opsbook --help`: incidents.review, store.database
    from opsbook.incidents.review import teach_runbook, write_postmortem
    from opsbook.store.database import state_dir

    book, db = _context(runbook, as_json)
    target = output or state_dir(Path(book.path), os.environ) / "postmortems" / (
        f"incident-{incident_id}.md"
    )
    now, actor = _now(), who.user()
    written = write_postmortem(
        db=db, runbook=book, incident_id=incident_id, target=target, actor=actor, now=now
    )
    taught = None
    if update_runbook:
        taught = teach_runbook(
            db=db,
            runbook_path=Path(book.path),
            incident_id=incident_id,
            actor=actor,
            now=now,
            title=issue_title,
        )
    if as_json:
        result: dict[str, object] = {"incident": incident_id, "path": written.path}
        if taught is not None:
            result["runbook"] = json_data(taught)
        print_json(result)
        return
    console().print(f"Post-mortem written to {written.path}", markup=False)
    if taught is not None:
        console().print(
            f'Added issue "{taught.issue}" to {taught.path} (version {taught.version})',
            markup=False,
        )


def escalate(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Page whoever is due now and send queued pages (the server does this by itself)."""
    # lazy: keeps incidents.paging off the start-up of `opsbook --help`
    from opsbook.incidents.paging import escalate_due

    book, db = _context(runbook, as_json)
    queued = escalate_due(db=db, runbook=book, now=_now())
    _deliver(book, db)
    print_json({"queued": queued}) if as_json else console().print(f"{queued} page(s) queued.")
