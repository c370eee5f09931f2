"""Collect the logs of a security incident into the evidence vault, with their custody.

Each file goes through the evidence domain: stored under its SHA-256 (never under a name
someone typed), with a `collected` record for the incident in the signed custody ledger.
A missing file, a directory or a link is noted, not fatal: the incident is open already.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsbook.errors import DomainError
from opsbook.evidence import service
from opsbook.evidence.logs import expand, log_paths
from opsbook.evidence.place import EvidenceDir

__all__ = ["Captured", "capture_all", "log_paths"]

REASON = "collected when the security incident opened"


@dataclass(frozen=True)
class Captured:
    """One file as captured, or why it could not be."""

    source: str
    sha256: str | None = None
    size: int | None = None
    stored_as: str | None = None
    problem: str | None = None


def capture_all(
    paths: Sequence[str], base: Path, vault: Path, *, actor: str, now: datetime, incident: int
) -> list[Captured]:
    """Collect every file the paths name (relative ones from `base`; globs expanded)."""
    place = EvidenceDir(vault)
    out: list[Captured] = []
    for written in paths:
        matches = expand(written, base)
        if glob.has_magic(written):
            if not matches:
                out.append(Captured(written, problem="no file matches"))
            out += [_capture(place, m, str(m), actor, now, incident) for m in matches]
        else:
            out += [_capture(place, m, written, actor, now, incident) for m in matches]
    return out


def _capture(
    place: EvidenceDir, path: Path, shown: str, actor: str, now: datetime, incident: int
) -> Captured:
    if not path.exists() and not path.is_symlink():
        return Captured(shown, problem="not found")
    if path.is_dir() and not path.is_symlink():
        return Captured(shown, problem="is a directory; name the files in it to capture them")
    try:
        added = service.add(
            place=place, paths=[path], actor=actor, now=now, incident=incident, reason=REASON
        )
    except DomainError as exc:
        return Captured(shown, problem=exc.message)
    record = added[0].record
    assert record is not None  # add records every path it was given, or raises
    return Captured(shown, record.sha256, record.size, str(place.vault.path_of(record.sha256)))
