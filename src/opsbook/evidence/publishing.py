"""The use cases that publish the ledger: sign its head (checkpoint) and export a bundle.

A checkpoint is kept in the evidence directory and printed to keep elsewhere; an export
records an `exported` event for each item (after re-hashing it) and signs a fresh head.
"""

from __future__ import annotations

import os
from dataclasses import asdict as json_fields
from datetime import datetime
from itertools import islice
from pathlib import Path

from opsbook.errors import NotFound, Refused
from opsbook.evidence import checkpoints as marks
from opsbook.evidence.bundle import write_bundle
from opsbook.evidence.custody_states import Custody
from opsbook.evidence.merkle import RootAccumulator
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.records import Action, BadLine, decode, utc_text
from opsbook.evidence.service import list_items, record_event
from opsbook.evidence.views import CheckpointView, ExportView


def checkpoint(*, place: EvidenceDir, now: datetime) -> CheckpointView:
    """Sign the ledger's head with the custody key and keep the checkpoint."""
    return checkpoint_view(_sign_head(place, now))


def _sign_head(place: EvidenceDir, now: datetime) -> marks.Checkpoint:
    with place.ledger.locked():
        accumulator = RootAccumulator()
        try:
            for record in place.ledger.records():
                accumulator.add(bytes.fromhex(record.hash))
        except BadLine as exc:
            raise Refused(f"{place.ledger.path}: {exc}", "run `opsbook evidence verify`") from None
        keys = place.keys
        signed = marks.sign(
            keys.private(),
            keys.key_id(),
            size=accumulator.size,
            root=accumulator.root().hex(),
            time=utc_text(now),
        )
        line = marks.line(signed)
        with place.checkpoints.open("ab") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
    return signed


def checkpoint_view(signed: marks.Checkpoint) -> CheckpointView:
    """Return a checkpoint as its view, with the line to keep elsewhere."""
    return CheckpointView(
        signed.size,
        signed.root,
        signed.time,
        signed.key,
        signed.signature,
        marks.line(signed).decode().strip(),
    )


def export(
    *, place: EvidenceDir, incident: int, output: Path, actor: str, now: datetime
) -> ExportView:
    """Write an incident's evidence, its custody with proofs and a signed head to a tar."""
    items = [i for i in list_items(place=place, incident=incident) if i.status != Custody.DISPOSED]
    if not items:
        raise NotFound(
            f"no evidence (not disposed of) for incident {incident}", "see `opsbook evidence list`"
        )
    for item in items:
        record_event(
            place=place,
            sha256=item.sha256,
            action=Action.EXPORTED,
            to=item.custodian,  # a copy leaves; the evidence stays with its custodian
            purpose=f"exported to {output.name}",
            actor=actor,
            now=now,
            incident=incident,
        )
    signed = _sign_head(place, now)
    wanted = {item.sha256 for item in items}
    for item in items:
        if item.kind == "directory":
            wanted |= {str(e["sha256"]) for e in place.vault.manifest(item.sha256) if "sha256" in e}
    lines = list(islice(place.ledger.lines(), signed.size))
    seqs = [n for n, raw in enumerate(lines) if _names(raw) in wanted]
    write_bundle(
        output,
        blobs=[(h, place.vault.path_of(h)) for h in sorted(wanted)],
        lines=lines,
        slice_seqs=seqs,
        mark=signed,
        public_pem=place.keys.public_pem(),
        manifest={
            "incident": incident,
            "created": utc_text(now),
            "items": [json_fields(item) for item in items],
            "checkpoint": json_fields(checkpoint_view(signed)),
        },
    )
    return ExportView(str(output), incident, len(items), len(seqs), checkpoint_view(signed))


def _names(raw: bytes) -> str:
    """Return the hash of the evidence a ledger line is about."""
    return str(decode(raw.rstrip(b"\n"))[0].sha256)
