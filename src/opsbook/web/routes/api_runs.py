"""Runs over the API: list, start, show, confirm, approve, abort, resume."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from opsbook.access.model import Principal
from opsbook.procedures.confirm import Decision
from opsbook.procedures.views import json_ready
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.routes.api_procedures import find_procedure
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND, BeforeId, ItemId
from opsbook.web.runs import actions
from opsbook.web.runs.views import run_detail, runs_listing
from opsbook.web.schemas import (
    MAX_PROCEDURE,
    AnswerIn,
    ErrorOut,
    PlanProblemsOut,
    RunDetailOut,
    RunOut,
    RunPageOut,
    StartRunIn,
    StepIn,
)
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["runs"])
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The run is not in a state that allows this."},
}
DECISIONS = {"confirm": Decision.CONFIRMED, "skip": Decision.SKIPPED, "abort": Decision.ABORTED}


@router.get("/api/v1/runs", response_model=RunPageOut, responses={**AUTH, **INVALID})
async def list_runs(
    request: Request,
    _: Principal = Depends(viewer),
    limit: int = Query(50, ge=1, le=500),
    before: BeforeId = None,
    procedure: str | None = Query(None, max_length=MAX_PROCEDURE),
    status: str | None = Query(None, max_length=20),
) -> JSONResponse:
    """List runs, newest first, a page at a time."""
    # One indexed read (the count is cached): cheaper on the event loop than in a thread.
    listed = runs_listing(
        app_state(request), limit=limit, before=before, procedure=procedure, status=status
    )
    # The views are typed and checked; skip re-validating them through RunPageOut.
    return JSONResponse(json_ready(listed))


@router.post(
    "/api/v1/procedures/{procedure_id}/runs",
    response_model=RunOut,
    status_code=202,
    responses={
        **AUTH,
        **NOT_FOUND,
        422: {"model": PlanProblemsOut | ErrorOut, "description": "The run cannot start."},
    },
)
def start_run(
    procedure_id: str,
    body: StartRunIn,
    request: Request,
    principal: Principal = Depends(operator),
) -> RunOut:
    """Start a run; the server's worker runs it. Watch it with GET /api/v1/runs/{id}."""
    proc = find_procedure(request, procedure_id)
    run_id = actions.start(app_state(request), proc.id, body.params, body.host, principal)
    detail = run_detail(app_state(request), run_id)
    assert detail is not None
    return RunOut.model_validate(detail, from_attributes=True)


def _detail(request: Request, run_id: int) -> RunDetailOut:
    run = run_detail(app_state(request), run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return RunDetailOut.model_validate(run, from_attributes=True)


@router.get("/api/v1/runs/{run_id}", response_model=RunDetailOut, responses={**AUTH, **NOT_FOUND})
def get_run(run_id: ItemId, request: Request, _: Principal = Depends(viewer)) -> RunDetailOut:
    """Show a run with every step attempt, its output, and every confirmation."""
    return _detail(request, run_id)


@router.post(
    "/api/v1/runs/{run_id}/confirm",
    response_model=RunDetailOut,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def confirm_step(
    run_id: ItemId, body: AnswerIn, request: Request, principal: Principal = Depends(operator)
) -> RunDetailOut:
    """Confirm, skip or abort the manual step a run waits at; the run goes on."""
    actions.answer(app_state(request), run_id, DECISIONS[body.decision], principal, body.step)
    return _detail(request, run_id)


@router.post(
    "/api/v1/runs/{run_id}/approve",
    response_model=RunDetailOut,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def approve_step(
    run_id: ItemId,
    request: Request,
    body: StepIn | None = None,
    principal: Principal = Depends(operator),
) -> RunDetailOut:
    """Approve the step a run waits at (`approvals=N`: N operators other than the starter)."""
    actions.approve(app_state(request), run_id, principal, body.step if body else None)
    return _detail(request, run_id)


@router.post(
    "/api/v1/runs/{run_id}/abort",
    response_model=RunDetailOut,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def abort_run(
    run_id: ItemId,
    request: Request,
    body: StepIn | None = None,
    principal: Principal = Depends(operator),
) -> RunDetailOut:
    """Abort a run: a waiting run stops at its step (`step`, if given); a running one stops."""
    actions.abort(app_state(request), run_id, principal, body.step if body else None)
    return _detail(request, run_id)


@router.post(
    "/api/v1/runs/{run_id}/resume",
    response_model=RunDetailOut,
    responses={**AUTH, **NOT_FOUND, **CONFLICT},
)
def resume_run(run_id: ItemId, request: Request, _: Principal = Depends(operator)) -> RunDetailOut:
    """Go on with an interrupted run from the step where it stopped."""
    actions.resume(app_state(request), run_id)
    return _detail(request, run_id)
