"""The runbook's procedures, read-only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from opsbook.access.model import Principal
from opsbook.runbook.model import Procedure
from opsbook.runbook.redact import public_procedure
from opsbook.runbook.serialize import procedure_data
from opsbook.web.auth import GuardedRoute, viewer
from opsbook.web.routes.responses import AUTH, NOT_FOUND
from opsbook.web.schemas import ParameterOut, ProcedureOut, ProcedureSummaryOut
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["procedures"])


def summary(proc: Procedure) -> ProcedureSummaryOut:
    """Return the short form of a procedure shown in lists."""
    steps = (*proc.prerequisites, *proc.steps, *proc.validation)
    return ProcedureSummaryOut(
        id=proc.id,
        name=proc.name,
        objective=proc.objective,
        steps=len(proc.steps),
        checks=len(proc.prerequisites) + len(proc.validation),
        manual_steps=sum(1 for s in steps if s.manual),
        parameters=[
            ParameterOut(
                name=p.name,
                required=p.required,
                description=p.description,
                default=p.default,
                line=p.line,
            )
            for p in proc.parameters
        ],
    )


def find_procedure(request: Request, procedure_id: str) -> Procedure:
    """Return the procedure with this id or name, or raise 404."""
    proc = app_state(request).source.runbook.procedure(procedure_id)
    if proc is None:
        raise HTTPException(404, f"no procedure {procedure_id!r} in the runbook")
    return proc


@router.get("/api/v1/procedures", response_model=list[ProcedureSummaryOut], responses=AUTH)
def list_procedures(request: Request, _: Principal = Depends(viewer)) -> list[ProcedureSummaryOut]:
    """List the runbook's procedures."""
    runbook = app_state(request).source.runbook
    return [summary(public_procedure(runbook, p)) for p in runbook.procedures]


@router.get(
    "/api/v1/procedures/{procedure_id}",
    response_model=ProcedureOut,
    responses={**AUTH, **NOT_FOUND},
)
def get_procedure(
    procedure_id: str, request: Request, _: Principal = Depends(viewer)
) -> dict[str, Any]:
    """Return one procedure with all its checks and steps."""
    return procedure_data(app_state(request).source.runbook, find_procedure(request, procedure_id))
