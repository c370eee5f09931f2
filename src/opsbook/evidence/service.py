"""The evidence use cases: add, list, show, verify, repair.

Those that hand evidence on (transfer, examine, release, dispose) are in `handling`; those
that publish the ledger (checkpoint, export) in `publishing`.

Each takes the evidence directory and keyword-only arguments, returns frozen views and
raises the shared errors. Writes go through the ledger's lock, so records of two processes
never interleave; the time is given, never read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from opsbook.errors import BadInput, NotFound, Refused
from opsbook.evidence.custody_states import MOVES, Custody, state_of
from opsbook.evidence.logs import expand, log_paths
from opsbook.evidence.names import hash_prefix
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.records import Action, BadLine, Event, Record
from opsbook.evidence.vault import rehash
from opsbook.evidence.verify import Report, verify
from opsbook.evidence.views import AddedView, CustodyView, ItemView
from opsbook.transitions import apply

MAX_TEXT = 1000


def add(
    *,
    place: EvidenceDir,
    paths: Sequence[Path],
    actor: str,
    now: datetime,
    incident: int | None = None,
    reason: str = "",
    location: str = "",
) -> list[AddedView]:
    """Store each path (file or directory) in the vault and record that it was collected."""
    if not paths:
        raise BadInput("name at least one file or directory to add")
    check_text("--reason", reason)
    for path in paths:  # all of them before any: a bad one leaves nothing half added
        place.vault.check(path)
    stored = [(path, place.vault.ingest(path)) for path in paths]
    events = [
        Event(
            sha256=blob.sha256,
            size=blob.size,
            action=Action.COLLECTED,
            actor=actor,
            kind=blob.kind,
            source=str(path),
            to_custodian=actor,
            location=location or str(place.root),
            purpose=reason,
            incident=incident,
        )
        for path, blob in stored
    ]
    records = place.ledger.append(events, now)
    return [AddedView(str(path), record) for (path, _), record in zip(stored, records, strict=True)]


def add_from_logs(
    *,
    place: EvidenceDir,
    log_locations: Sequence[str],
    base: Path,
    actor: str,
    now: datetime,
    incident: int | None = None,
    reason: str = "",
) -> list[AddedView]:
    """Collect every file the runbook's Log Locations name; one that cannot be is noted."""
    found: list[Path] = []
    missing: list[AddedView] = []
    for written in log_paths(log_locations):
        matches = [m for m in expand(written, base) if m.exists() or m.is_symlink()]
        if not matches:
            missing.append(AddedView(written, problem="not found"))
        for match in matches:
            try:
                place.vault.check(match)
            except BadInput as exc:
                missing.append(AddedView(str(match), problem=exc.message))
            else:
                found.append(match)
    added = (
        add(
            place=place,
            paths=found,
            actor=actor,
            now=now,
            incident=incident,
            reason=reason or "Log Locations of the runbook",
        )
        if found
        else []
    )
    return added + missing


def custody(place: EvidenceDir) -> dict[str, list[Record]]:
    """Return every record by the evidence it is about, oldest first; Refused if unreadable."""
    by_hash: dict[str, list[Record]] = {}
    try:
        for record in place.ledger.records():
            by_hash.setdefault(record.sha256, []).append(record)
    except BadLine as exc:
        raise Refused(f"{place.ledger.path}: {exc}", "run `opsbook evidence verify`") from None
    return by_hash


def item_view(records: Sequence[Record]) -> ItemView:
    first, last = records[0], records[-1]
    return ItemView(
        sha256=first.sha256,
        size=first.size,
        kind=first.kind,
        source=first.source,
        collected_at=first.time,
        collected_by=first.actor,
        incident=next((r.incident for r in records if r.incident is not None), None),
        custodian=last.to_custodian or last.actor,
        events=len(records),
        status=str(state_of(r.action for r in records)),
    )


def list_items(*, place: EvidenceDir, incident: int | None = None) -> list[ItemView]:
    """Return every piece of evidence (of one incident, if given), first collected first."""
    items = [item_view(records) for records in custody(place).values()]
    return [i for i in items if incident is None or i.incident == incident]


def show(*, place: EvidenceDir, sha256: str) -> CustodyView:
    """Return one piece of evidence, named by its hash or a prefix, with its whole custody."""
    wanted = hash_prefix(sha256)
    by_hash = custody(place)
    matches = [h for h in by_hash if h.startswith(wanted)]
    if not matches:
        raise NotFound(f"no evidence with hash {wanted}", "see `opsbook evidence list`")
    if len(matches) > 1:
        raise BadInput(f"{wanted} is the prefix of {len(matches)} hashes; give more digits")
    records = by_hash[matches[0]]
    return CustodyView(item_view(records), tuple(records))


def record_event(
    *,
    place: EvidenceDir,
    sha256: str,
    action: Action,
    to: str,
    purpose: str,
    actor: str,
    now: datetime,
    incident: int | None = None,
) -> Record:
    """Record an action on held evidence after re-hashing it; Refused if it changed or moved on."""
    item = show(place=place, sha256=sha256).item
    apply(MOVES, Custody(item.status), action)
    path = place.vault.path_of(item.sha256)
    try:
        digest, size = rehash(path)
    except OSError as exc:
        raise Refused(f"blob {item.sha256} cannot be read: {exc.strerror or exc}") from None
    if digest != item.sha256 or size != item.size:
        raise Refused(
            f"blob {item.sha256} no longer matches its hash (it hashes to {digest})",
            "run `opsbook evidence verify`; nothing was recorded",
        )
    event = Event(
        sha256=item.sha256,
        size=item.size,
        action=action,
        actor=actor,
        kind=item.kind,
        source=item.source,
        from_custodian=item.custodian,
        to_custodian=to,
        location=str(place.root),
        purpose=purpose,
        incident=incident if incident is not None else item.incident,
        verified=True,
    )
    return place.ledger.append([event], now)[0]


def verify_all(
    *, place: EvidenceDir, outside: Sequence[tuple[str, bytes]] = (), blobs: bool = True
) -> Report:
    """Re-hash every blob, walk the chain, check every checkpoint (and those kept outside)."""
    return verify(
        vault=place.vault,
        ledger=place.ledger,
        kept=place.checkpoints,
        keys=place.keys,
        outside=outside,
        blobs=blobs,
    )


def repair(*, place: EvidenceDir, now: datetime) -> int:
    """Set a torn last record aside so the ledger can go on; return the bytes moved."""
    return place.ledger.repair(now)


def check_text(name: str, value: str, *, required: bool = False) -> None:
    """Refuse text from outside that is empty (when required), too long or holds NUL."""
    if required and not value.strip():
        raise BadInput(f"{name} must not be empty")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise BadInput(f"{name} must be at most {MAX_TEXT} characters, without NUL")


def incident_custody(
    *, place: EvidenceDir, incident: int, hashes: Sequence[str] = ()
) -> list[CustodyView]:
    """Return the custody of an incident's evidence: the hashes given, then any other the
    ledger files under the incident, each once, oldest record first."""
    by_hash = custody(place)
    wanted = list(hashes) + [
        h for h, records in by_hash.items() if any(r.incident == incident for r in records)
    ]
    return [
        CustodyView(item_view(by_hash[h]), tuple(by_hash[h]))
        for h in dict.fromkeys(wanted)
        if h in by_hash
    ]
