"""What the evidence use cases return: frozen views, the same for `--json` and the API."""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.evidence.records import Record


@dataclass(frozen=True)
class ItemView:
    """One piece of evidence: its hash, size, kind, where it came from, who holds it, its state."""

    sha256: str
    size: int
    kind: str
    source: str
    collected_at: str
    collected_by: str
    incident: int | None
    custodian: str
    events: int
    status: str  # held, released or disposed (its bytes gone, its records kept)


@dataclass(frozen=True)
class CustodyView:
    """One piece of evidence with every record of its custody, oldest first."""

    item: ItemView
    records: tuple[Record, ...]


@dataclass(frozen=True)
class AddedView:
    """What `add` did with one path: the record it wrote, or why it wrote none."""

    source: str
    record: Record | None = None
    problem: str = ""


@dataclass(frozen=True)
class CheckpointView:
    """A signed head of the ledger, as people keep it elsewhere."""

    size: int
    root: str
    time: str
    key: str
    signature: str
    line: str


@dataclass(frozen=True)
class ExportView:
    """A bundle written: where, for which incident, what it holds."""

    path: str
    incident: int
    items: int
    records: int
    checkpoint: CheckpointView
