"""`opsbook evidence ...`: add, list, show, transfer, release, dispose, verify, checkpoint...

Thin: parse, call a use case of `opsbook.evidence.service` (or `.handling`), present.
Heavy imports stay inside the commands so `opsbook --help` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli import who
from opsbook.cli.ids import limit_option
from opsbook.cli.options import json_option, runbook_option
from opsbook.cli.output import EXIT_FAILED, fail, json_data, load_or_exit, print_json, say, when
from opsbook.inputs import MAX_ID

if TYPE_CHECKING:
    from opsbook.evidence.place import EvidenceDir
    from opsbook.evidence.records import Record

RUNBOOK = runbook_option(
    "Runbook whose evidence it is (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."
)
JSON = json_option()
HASH = typer.Argument(..., help="The evidence's SHA-256, or its first digits.", show_default=False)
INCIDENT = typer.Option(
    None, "--incident", min=1, max=MAX_ID, help="The incident it belongs to.", show_default=False
)


def register(app: typer.Typer) -> None:
    """Add the `evidence` group to the app."""
    group = typer.Typer(
        help="Evidence: a vault of files by SHA-256 and a signed chain of custody.",
        no_args_is_help=True,
    )
    commands: list[tuple[str, Callable[..., None], str]] = [
        ("add", add, 'opsbook evidence add /var/log/auth.log --incident 3 --reason "login spike"'),
        ("list", list_, "opsbook evidence list --incident 3 --json"),
        ("show", show, "opsbook evidence show 5891b5b5"),
        ("transfer", transfer, 'opsbook evidence transfer 5891b5b5 --to "J. Ruiz" --purpose lab'),
        ("release", release, 'opsbook evidence release 5891b5b5 --to "ACME Ltd" --purpose closed'),
        ("dispose", dispose, 'opsbook evidence dispose 5891b5b5 --purpose "retention ended"'),
        ("verify", verify, "opsbook evidence verify --checkpoint kept.json"),
        ("checkpoint", checkpoint, "opsbook evidence checkpoint > head-2026-12-02.json"),
        ("export", export, "opsbook evidence export --incident 3 -o bundle.tar"),
        ("repair", repair, "opsbook evidence repair"),
    ]
    for name, function, example in commands:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        group.command(name, help=f"{summary}\n\nExample: {example}")(function)
    app.add_typer(group, name="evidence")


def _now() -> datetime:
    return datetime.now(UTC)


def _place(runbook: Path | None, as_json: bool) -> tuple[EvidenceDir, tuple[str, ...], Path]:
    """Return the runbook's evidence directory, its Log Locations and its folder."""
    # lazy: keeps evidence.place off the start-up of `opsbook --help`
    from opsbook.evidence.place import EvidenceDir, evidence_root

    book = load_or_exit(runbook, as_json)
    path = Path(book.path)
    root = evidence_root(path, book.settings, os.environ)
    return EvidenceDir(root), book.log_locations, path.resolve().parent


def _record_line(record: Record) -> str:
    handed = record.from_custodian and record.from_custodian != record.to_custodian
    moved = f": {record.from_custodian} → {record.to_custodian}" if handed else ""
    checked = " (re-hashed: unchanged)" if record.verified else ""
    purpose = f" — {record.purpose}" if record.purpose else ""
    at = when(record.time)
    return f"#{record.seq} {at} {record.action} by {record.actor}{moved}{checked}{purpose}"


def add(
    paths: list[Path] | None = typer.Argument(None, help="Files or directories to store."),
    from_logs: bool = typer.Option(False, "--from-logs", help="The runbook's Log Locations."),
    incident: int | None = INCIDENT,
    reason: str = typer.Option("", "--reason", help="Why it is collected."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Store files or directories in the vault by SHA-256 and record their collection."""
    # lazy: keeps evidence.service off the start-up of `opsbook --help`
    from opsbook.evidence import service

    place, logs, base = _place(runbook, as_json)
    if from_logs == bool(paths):
        fail("name files or directories, or give --from-logs (one of the two)")
    if from_logs:
        added = service.add_from_logs(
            place=place,
            log_locations=logs,
            base=base,
            actor=who.user(),
            now=_now(),
            incident=incident,
            reason=reason,
        )
    else:
        added = service.add(
            place=place,
            paths=paths or [],
            actor=who.user(),
            now=_now(),
            incident=incident,
            reason=reason,
        )
    if as_json:
        print_json(json_data(added))
        return
    for one in added:
        if one.record is None:
            say(f"not added: {one.source} ({one.problem})", err=True, fg="yellow")
        else:
            say(f"{one.record.sha256}  {one.record.size:>12,}  {one.source}")
    if not any(one.record for one in added):
        raise SystemExit(EXIT_FAILED)


def list_(
    incident: int | None = INCIDENT,
    limit: int = limit_option("How many, first collected first."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """List the evidence in the vault: hash, size, source, who holds it."""
    # lazy: keeps evidence.service off the start-up of `opsbook --help`
    from opsbook.evidence import service

    place, _, _ = _place(runbook, as_json)
    items = service.list_items(place=place, incident=incident)[:limit]
    if as_json:
        print_json(json_data(items))
        return
    if not items:
        say("No evidence in the vault.")
    for item in items:
        held = f"held by {item.custodian}"
        tag = f" incident {item.incident}" if item.incident is not None else ""
        say(f"{item.sha256[:16]}  {item.size:>12,}  {item.kind:9}  {item.source}  ({held}{tag})")


def show(sha256: str = HASH, runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Show one piece of evidence and its whole chain of custody."""
    # lazy: keeps evidence.service off the start-up of `opsbook --help`
    from opsbook.evidence import service

    place, _, _ = _place(runbook, as_json)
    shown = service.show(place=place, sha256=sha256)
    if as_json:
        print_json(json_data(shown))
        return
    item = shown.item
    say(f"{item.sha256}  {item.kind}, {item.size:,} bytes, {item.status}", bold=True)
    say(f"  from {item.source}, collected {item.collected_at} by {item.collected_by}")
    say(f"  held by {item.custodian}; stored as {place.vault.path_of(item.sha256)}")
    for record in shown.records:
        say(f"  {_record_line(record)}")


def transfer(
    sha256: str = HASH,
    to: str = typer.Option(..., "--to", help="Who takes custody."),
    purpose: str = typer.Option(..., "--purpose", help="What for."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Hand evidence to a named custodian, after re-hashing it."""
    # lazy: keeps evidence.handling off the start-up of `opsbook --help`
    from opsbook.evidence import handling

    place, _, _ = _place(runbook, as_json)
    record = handling.transfer(
        place=place, sha256=sha256, to=to, purpose=purpose, actor=who.user(), now=_now()
    )
    _present(record, as_json)


def release(
    sha256: str = HASH,
    to: str = typer.Option(..., "--to", help="Who it is released to (its owner, the police)."),
    purpose: str = typer.Option(..., "--purpose", help="Why."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Release evidence out of custody for good, after re-hashing it."""
    # lazy: keeps evidence.handling off the start-up of `opsbook --help`
    from opsbook.evidence import handling

    place, _, _ = _place(runbook, as_json)
    record = handling.release(
        place=place, sha256=sha256, to=to, purpose=purpose, actor=who.user(), now=_now()
    )
    _present(record, as_json)


def dispose(
    sha256: str = HASH,
    purpose: str = typer.Option(..., "--purpose", help="Why (a retention rule, a court order)."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Record that evidence is destroyed, then remove its bytes (its records stay)."""
    # lazy: keeps evidence.handling off the start-up of `opsbook --help`
    from opsbook.evidence import handling

    place, _, _ = _place(runbook, as_json)
    record = handling.dispose(
        place=place, sha256=sha256, purpose=purpose, actor=who.user(), now=_now()
    )
    _present(record, as_json)


def _present(record: Record, as_json: bool) -> None:
    if as_json:
        print_json(json_data(record))
    else:
        say(_record_line(record))


def verify(
    kept: list[Path] | None = typer.Option(
        None, "--checkpoint", help="A checkpoint kept elsewhere (its JSON line); repeatable."
    ),
    no_blobs: bool = typer.Option(False, "--no-blobs", help="Skip re-hashing the blobs."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Re-hash every blob, walk the chain, check every checkpoint; exit 1 if anything is wrong."""
    # lazy: keeps evidence.service off the start-up of `opsbook --help`
    from opsbook.evidence import service

    place, _, _ = _place(runbook, as_json)
    outside = []
    for path in kept or []:
        try:
            outside.append((f"kept checkpoint {path}", path.read_bytes().strip() + b"\n"))
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror or exc}")
    report = service.verify_all(place=place, outside=outside, blobs=not no_blobs)
    if as_json:
        print_json({**json_data(report), "ok": report.ok})
    elif report.ok:
        say(
            f"OK: {report.records} records, root {report.root}, "
            f"{report.checkpoints} checkpoints, {report.blobs} blobs re-hashed",
            fg="green",
        )
    else:
        for problem in report.problems:
            say(f"error: {problem}", err=True, fg="red", bold=True)
    if not report.ok:
        raise SystemExit(EXIT_FAILED)


def checkpoint(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Sign the ledger's head and print it, to keep somewhere else."""
    # lazy: keeps evidence.publishing off the start-up of `opsbook --help`
    from opsbook.evidence import publishing

    place, _, _ = _place(runbook, as_json)
    signed = publishing.checkpoint(place=place, now=_now())
    if as_json:
        print_json(json_data(signed))
    else:
        say(signed.line)


def export(
    incident: int = typer.Option(..., "--incident", min=1, max=MAX_ID, help="The incident."),
    output: Path = typer.Option(..., "--output", "-o", help="The tar file to write."),
    runbook: Path | None = RUNBOOK,
    as_json: bool = JSON,
) -> None:
    """Write an incident's evidence, custody, proofs and public key to a tar bundle."""
    # lazy: keeps evidence.publishing off the start-up of `opsbook --help`
    from opsbook.evidence import publishing

    place, _, _ = _place(runbook, as_json)
    if output.is_dir() or not output.parent.is_dir():
        fail(f"cannot write {output}: give a file in a folder that exists")
    written = publishing.export(
        place=place, incident=incident, output=output, actor=who.user(), now=_now()
    )
    if as_json:
        print_json(json_data(written))
    else:
        say(
            f"Wrote {written.path}: {written.items} items, {written.records} records, "
            f"signed root {written.checkpoint.root} of {written.checkpoint.size} records"
        )
        say("  its README.md says how to check it without opsbook", dim=True)


def repair(runbook: Path | None = RUNBOOK, as_json: bool = JSON) -> None:
    """Set a torn last record (a write cut short by a crash) aside so the ledger goes on."""
    # lazy: keeps evidence.service off the start-up of `opsbook --help`
    from opsbook.evidence import service

    place, _, _ = _place(runbook, as_json)
    moved = service.repair(place=place, now=_now())
    if as_json:
        print_json({"moved_bytes": moved})
    else:
        say(f"Set aside {moved} torn bytes." if moved else "Nothing to repair.")
