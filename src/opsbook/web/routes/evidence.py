"""The evidence vault over the API: viewers see metadata; admins read, hand on, verify, export.

Every read of a blob is itself a custody event (`examined`), recorded after the blob is
re-hashed and found unchanged, before a byte is sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from opsbook.access.model import Principal
from opsbook.evidence import handling, publishing, service
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.records import Record
from opsbook.evidence.views import CustodyView, ItemView
from opsbook.inputs import MAX_ID
from opsbook.store.private import private_directory
from opsbook.web.auth import GuardedRoute, admin, viewer
from opsbook.web.evidence_schemas import DisposeIn, TransferIn, VerifyOut
from opsbook.web.incidents_view import evidence_place
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND, ItemId
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["evidence"])
Hash = Annotated[
    str,
    Path(
        min_length=4,
        max_length=64,
        pattern="^[0-9a-fA-F]+$",
        description="The evidence's SHA-256, or its first digits.",
    ),
]


def _place(request: Request) -> EvidenceDir:
    return evidence_place(app_state(request))


@router.get("/api/v1/evidence", response_model=list[ItemView], responses=AUTH)
def list_evidence(
    request: Request,
    incident: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    _: Principal = Depends(viewer),
) -> list[ItemView]:
    """List the evidence in the vault (of one incident, if asked): metadata only."""
    return service.list_items(place=_place(request), incident=incident)


@router.get(
    "/api/v1/evidence/{sha256}", response_model=CustodyView, responses={**AUTH, **NOT_FOUND}
)
def show_evidence(sha256: Hash, request: Request, _: Principal = Depends(viewer)) -> CustodyView:
    """Show one piece of evidence with its whole chain of custody."""
    return service.show(place=_place(request), sha256=sha256)


@router.post(
    "/api/v1/evidence/{sha256}/transfer",
    response_model=Record,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def transfer_evidence(
    sha256: Hash, body: TransferIn, request: Request, principal: Principal = Depends(admin)
) -> Record:
    """Hand evidence to a named custodian, after re-hashing it."""
    return _hand_to(handling.transfer, sha256, body, request, principal)


@router.post(
    "/api/v1/evidence/{sha256}/release",
    response_model=Record,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def release_evidence(
    sha256: Hash, body: TransferIn, request: Request, principal: Principal = Depends(admin)
) -> Record:
    """Release evidence out of custody for good (to its owner, the police), after re-hashing it."""
    return _hand_to(handling.release, sha256, body, request, principal)


def _hand_to(
    case: Callable[..., Record],
    sha256: str,
    body: TransferIn,
    request: Request,
    principal: Principal,
) -> Record:
    return case(
        place=_place(request),
        sha256=sha256,
        to=body.to,
        purpose=body.purpose,
        actor=principal.name,
        now=app_state(request).clock(),
    )


@router.post(
    "/api/v1/evidence/{sha256}/dispose",
    response_model=Record,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def dispose_evidence(
    sha256: Hash, body: DisposeIn, request: Request, principal: Principal = Depends(admin)
) -> Record:
    """Record that evidence is destroyed, then remove its bytes; its records stay."""
    return handling.dispose(
        place=_place(request),
        sha256=sha256,
        purpose=body.purpose,
        actor=principal.name,
        now=app_state(request).clock(),
    )


@router.get(
    "/api/v1/evidence/{sha256}/blob",
    response_class=FileResponse,
    responses={**AUTH, **NOT_FOUND},
)
def read_blob(
    sha256: Hash, request: Request, principal: Principal = Depends(admin)
) -> FileResponse:
    """Send the evidence's bytes; the read is recorded as `examined` in its custody."""
    _, path = handling.examine(
        place=_place(request),
        sha256=sha256,
        purpose="read through the API",
        actor=principal.name,
        now=app_state(request).clock(),
    )
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)


@router.get("/api/v1/evidence-verify", response_model=VerifyOut, responses=AUTH)
def verify_evidence(
    request: Request,
    blobs: Annotated[bool, Query(description="Re-hash every blob too.")] = True,
    _: Principal = Depends(admin),
) -> VerifyOut:
    """Re-hash every blob, walk the chain, check every checkpoint; say what is wrong."""
    report = service.verify_all(place=_place(request), blobs=blobs)
    return VerifyOut(
        ok=report.ok,
        records=report.records,
        root=report.root,
        checkpoints=report.checkpoints,
        blobs=report.blobs,
        problems=[str(p) for p in report.problems],
    )


@router.get(
    "/api/v1/incidents/{incident_id}/evidence.tar",
    response_class=FileResponse,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def export_evidence(
    incident_id: ItemId, request: Request, principal: Principal = Depends(admin)
) -> FileResponse:
    """Send an incident's evidence bundle (tar): blobs, custody with proofs, signed head."""
    place = _place(request)
    private_directory(place.vault.temporary)
    output = place.vault.temporary / f".export-{os.getpid()}-{os.urandom(6).hex()}.tar"
    publishing.export(
        place=place,
        incident=incident_id,
        output=output,
        actor=principal.name,
        now=app_state(request).clock(),
    )
    return FileResponse(
        output,
        media_type="application/x-tar",
        filename=f"evidence-incident-{incident_id}.tar",
        background=BackgroundTask(output.unlink, missing_ok=True),
    )
