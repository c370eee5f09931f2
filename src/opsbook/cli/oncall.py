"""`opsbook oncall ...`: now, next, schedule, override, feed.

Thin: parse, call a use case of `opsbook.oncall`, present. Heavy imports stay inside the
commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import console, fail, json_data, load_or_exit, print_json, say

RUNBOOK = runbook_option("Runbook whose rotations these are.")
JSON = json_option()
ROTATION = typer.Option(None, "--rotation", help="Only this rotation (default: every one).")
AT = typer.Option(
    None,
    "--at",
    help="As at this moment instead of now: 2026-03-01T03:00 (UTC unless it says), 2026-03-01.",
    show_default=False,
)


def register(app: typer.Typer) -> None:
    """Add the `oncall` group to the app."""
    group = typer.Typer(
        help="On-call: the runbook's rotations: who is on call now, next, and when.",
        no_args_is_help=True,
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("now", now, "opsbook oncall now --json"),
        ("rotations", rotations, "opsbook oncall rotations --json"),
        ("next", next_, "opsbook oncall next --rotation ops"),
        ("schedule", schedule, "opsbook oncall schedule --from 2026-03-01 --to 2026-04-01"),
        (
            "override",
            override,
            'opsbook oncall override ops --who "Lee <lee@example.com>" --covers Ana '
            '--from "2026-03-02 09:00" --to "2026-03-09 09:00"',
        ),
        ("feed", feed, "opsbook oncall feed ops --person Ana"),
        (
            "subscribe",
            subscribe,
            "opsbook oncall subscribe ops --person Ana --base-url https://ops.example.com",
        ),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(group, name="oncall")


def moment(text: str | None, option: str, default: datetime) -> datetime:
    """Return the moment an option names (a date or ISO time, UTC unless it says); exit 2."""
    if text is None:
        return default
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(
            f'{option} "{text}" is not a date or time', hint="write 2026-03-01 or 2026-03-01T09:00"
        )
    from opsbook.oncall.service import check_moment

    return check_moment(value if value.tzinfo else value.replace(tzinfo=UTC), option)


def _local(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def now(
    runbook: Path | None = RUNBOOK,
    rotation: str | None = ROTATION,
    at: str | None = AT,
    as_json: bool = JSON,
) -> None:
    """Say who is on call now in each layer of each rotation, until when, and why."""
    from opsbook.oncall import service

    book = load_or_exit(runbook, as_json)
    instant = moment(at, "--at", datetime.now(UTC))
    views = service.who_is_on_call(runbook=book, now=instant, rotation=rotation)
    if as_json:
        print_json(json_data(views))
        return
    if not views:
        say(
            "Nobody is on call"
            + (" (no rotation in the runbook)" if not service.rotations_of(book) else ".")
        )
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("Rotation", "Layer", "On call", "Since", "Until", "Next"):
        table.add_column(column)
    for view in views:
        person = f"{view.person} <{view.address}>" if view.address else view.person
        table.add_row(
            view.rotation,
            view.layer,
            person,
            _local(view.since),
            _local(view.until),
            view.next_person or "—",
        )
    console().print(table)


def rotations(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """List the runbook's rotations: zone, layers, people, overrides."""
    from opsbook.oncall import service

    views = service.list_rotations(runbook=load_or_exit(runbook, as_json))
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        say(
            f"{view.name} ({view.zone}): layers {', '.join(view.layers)}; "
            f"people {', '.join(view.people)}; {view.overrides} override(s)"
        )
    if not views:
        say("No rotation: add an `oncall:` block to the front matter (docs/oncall.md).")


def next_(
    runbook: Path | None = RUNBOOK,
    rotation: str | None = ROTATION,
    at: str | None = AT,
    as_json: bool = JSON,
) -> None:
    """Say who takes over next in each layer of each rotation, and when."""
    from opsbook.oncall import service

    book = load_or_exit(runbook, as_json)
    instant = moment(at, "--at", datetime.now(UTC))
    views = service.next_handoffs(runbook=book, now=instant, rotation=rotation)
    if as_json:
        print_json(json_data(views))
        return
    for view in views:
        who = view.person + _covering(view.covers)
        say(f"{_local(view.start)}  {view.rotation}/{view.layer}: {who}")
    if not views:
        say("No handoff ahead.")


def _covering(covers: str) -> str:
    return f" (override, covering {covers})" if covers else ""


def schedule(
    runbook: Path | None = RUNBOOK,
    rotation: str | None = ROTATION,
    person: str | None = typer.Option(None, "--person", help="Only this person's shifts."),
    start: str | None = typer.Option(None, "--from", help="From (default: now)."),
    end: str | None = typer.Option(None, "--to", help="To (default: two weeks after --from)."),
    as_json: bool = JSON,
) -> None:
    """List the shifts between two moments: who, which layer, from when to when."""
    from opsbook.oncall import service

    book = load_or_exit(runbook, as_json)
    begin = moment(start, "--from", datetime.now(UTC).replace(second=0, microsecond=0))
    finish = moment(end, "--to", begin + timedelta(days=14))
    views = service.shifts_between(
        runbook=book, start=begin, end=finish, rotation=rotation, person=person
    )
    if as_json:
        print_json(json_data(views))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("From", "To", "Rotation", "Layer", "On call"):
        table.add_column(column)
    for view in views:
        table.add_row(
            _local(view.start),
            _local(view.end),
            view.rotation,
            view.layer,
            view.person + _covering(view.covers),
        )
    console().print(table)
    if not views:
        say("No shifts in that window.")


def override(
    rotation: str = typer.Argument(..., help="The rotation, by name."),
    who: str = typer.Option(..., "--who", help="Who covers: `Lee <lee@example.com>`."),
    start: str = typer.Option(..., "--from", help="From: 2026-03-02 09:00 (the rotation's zone)."),
    end: str = typer.Option(..., "--to", help="To: 2026-03-09 09:00 (the rotation's zone)."),
    covers: str | None = typer.Option(None, "--covers", help="Only while this person is due."),
    layer: str | None = typer.Option(None, "--layer", help="The layer (default: the first)."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Write an override into the runbook's front matter, with a Version History row."""
    from opsbook.cli import who as actor
    from opsbook.oncall import overrides

    load_or_exit(runbook, as_json)
    import os

    from opsbook.runbook.loader import resolve_path

    path = resolve_path(str(runbook) if runbook else None, os.environ)
    written = overrides.add_override(
        path=Path(path),
        rotation=rotation,
        who=who,
        start=start,
        end=end,
        covers=covers,
        layer=layer,
        actor=actor.user(),
        now=datetime.now(UTC),
    )
    if as_json:
        print_json(json_data(written))
    else:
        say(f"Override written to {path} (version {written.version}): {written.summary}")


def feed(
    rotation: str = typer.Argument(..., help="The rotation, by name."),
    person: str | None = typer.Option(None, "--person", help="Only this person's shifts."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Print the iCalendar feed of a rotation (or one person's shifts in it)."""
    from opsbook.oncall import calendar

    book = load_or_exit(runbook, as_json)
    now_at = datetime.now(UTC)
    text = calendar.feed_text(runbook=book, rotation=rotation, person=person, now=now_at)
    if as_json:
        data: dict[str, Any] = {"rotation": rotation, "person": person, "ics": text}
        print_json(data)
    else:
        typer.echo(text, nl=False)


def subscribe(
    rotation: str = typer.Argument(..., help="The rotation, by name."),
    person: str | None = typer.Option(None, "--person", help="Only this person's shifts."),
    base_url: str = typer.Option(
        "http://127.0.0.1:8080", "--base-url", help="Where `opsbook serve` answers."
    ),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Make a calendar feed link (a token for that one feed) to subscribe a calendar to."""
    from opsbook.cli import who as actor
    from opsbook.oncall import feeds
    from opsbook.store.database import open_for

    book = load_or_exit(runbook, as_json)
    made = feeds.create_feed_token(
        db=open_for(Path(book.path)),
        runbook=book,
        rotation=rotation,
        person=person,
        actor=actor.user(),
        now=datetime.now(UTC),
    )
    url = base_url.rstrip("/") + made.path
    if as_json:
        print_json({**json_data(made), "url": url})
        return
    say(url)
    say("Subscribe a calendar to this address; it is shown once.", err=True)
