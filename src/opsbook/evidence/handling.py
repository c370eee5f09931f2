"""The use cases that hand evidence on: transfer, examine, release, dispose.

Each re-hashes the evidence first and records the event only if it still matches; the
evidence's custody state (held, released, disposed) says which are allowed. Disposal
records first, then removes the bytes, so a crash in between leaves the record and a blob
that `verify` names and a second `dispose` cannot remove: nothing is ever removed unrecorded.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from opsbook.errors import BadInput
from opsbook.evidence.custody_states import Custody
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.records import Action, Record
from opsbook.evidence.service import check_text, list_items, record_event, show


def transfer(
    *, place: EvidenceDir, sha256: str, to: str, purpose: str, actor: str, now: datetime
) -> Record:
    """Hand evidence to a named custodian, after re-hashing it and finding it unchanged."""
    return _hand_to(Action.TRANSFERRED, place, sha256, to, purpose, actor, now)


def examine(
    *, place: EvidenceDir, sha256: str, purpose: str, actor: str, now: datetime
) -> tuple[Record, Path]:
    """Record that someone reads the evidence (after re-hashing it); return where it is."""
    check_text("purpose", purpose)
    item = show(place=place, sha256=sha256).item
    record = record_event(
        place=place,
        sha256=item.sha256,
        action=Action.EXAMINED,
        to=item.custodian,
        purpose=purpose,
        actor=actor,
        now=now,
    )
    return record, place.vault.path_of(item.sha256)


def release(
    *, place: EvidenceDir, sha256: str, to: str, purpose: str, actor: str, now: datetime
) -> Record:
    """Give evidence back or out for good (to its owner, the police), after re-hashing it."""
    return _hand_to(Action.RELEASED, place, sha256, to, purpose, actor, now)


def _hand_to(
    action: Action,
    place: EvidenceDir,
    sha256: str,
    to: str,
    purpose: str,
    actor: str,
    now: datetime,
) -> Record:
    check_text("--to", to, required=True)
    check_text("--purpose", purpose, required=True)
    return record_event(
        place=place, sha256=sha256, action=action, to=to, purpose=purpose, actor=actor, now=now
    )


def dispose(*, place: EvidenceDir, sha256: str, purpose: str, actor: str, now: datetime) -> Record:
    """Record that evidence is destroyed (after re-hashing it), then remove its bytes."""
    check_text("--purpose", purpose, required=True)
    item = show(place=place, sha256=sha256).item
    doomed = {item.sha256} | (_members(place, item.sha256) if item.kind == "directory" else set())
    record = record_event(
        place=place,
        sha256=item.sha256,
        action=Action.DISPOSED,
        to="",
        purpose=purpose,
        actor=actor,
        now=now,
    )
    for blob in sorted(doomed - _still_needed(place)):
        place.vault.remove(blob)
    return record


def _members(place: EvidenceDir, sha256: str) -> set[str]:
    """Return the blobs a directory's manifest lists (none if it cannot be read)."""
    try:
        entries = place.vault.manifest(sha256)
    except BadInput:
        return set()
    return {str(entry["sha256"]) for entry in entries if "sha256" in entry}


def _still_needed(place: EvidenceDir) -> set[str]:
    """Return every blob that evidence not disposed of names (the same bytes may be in two)."""
    needed: set[str] = set()
    for item in list_items(place=place):
        if item.status != Custody.DISPOSED:
            needed.add(item.sha256)
            if item.kind == "directory":
                needed |= _members(place, item.sha256)
    return needed
