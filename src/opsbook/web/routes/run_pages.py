"""Run pages: start a run from a procedure's page, watch it live, answer its steps, history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from opsbook.access.model import Principal
from opsbook.deploy import decisions
from opsbook.deploy.approvers import holders, may_approve
from opsbook.errors import BadInput
from opsbook.inputs import check_text
from opsbook.procedures.confirm import Decision
from opsbook.procedures.plan import PlanError
from opsbook.procedures.views import WatchedRunView
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.routes.api_procedures import find_procedure
from opsbook.web.routes.responses import BeforeId, ItemId
from opsbook.web.runs import actions
from opsbook.web.runs.views import run_detail, runs_listing
from opsbook.web.schemas import MAX_HOST, MAX_PARAM_VALUE, MAX_PROCEDURE, MAX_STEP
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)
DECISIONS = {"confirm": Decision.CONFIRMED, "skip": Decision.SKIPPED, "abort": Decision.ABORTED}
PAGE = 50


def _field(form: FormData, name: str, max_length: int) -> str:
    """Return a form field's text (empty if absent), refused if it is over max_length."""
    return check_text(str(form.get(name, "")), field=f"form field {name}", max_length=max_length)


@router.post("/procedures/{procedure_id}/start")
async def start(
    procedure_id: str, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Start a run from the procedure page's form, then show the run."""
    form = await request.form()
    proc = find_procedure(request, procedure_id)
    params = {
        p.name: _field(form, f"param_{p.name}", MAX_PARAM_VALUE).strip() for p in proc.parameters
    }
    params = {k: v for k, v in params.items() if v}
    host = _field(form, "host", MAX_HOST).strip() or None
    state = app_state(request)
    try:
        run_id = await run_in_threadpool(actions.start, state, proc.id, params, host, principal)
    except PlanError as exc:
        listed = await run_in_threadpool(runs_listing, state, limit=15, procedure=proc.id)
        return page(
            request,
            "procedure.html",
            principal,
            status_code=422,
            proc=proc,
            runs=listed.runs,
            problems=exc.problems,
            values=params,
        )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs")
def runs(
    request: Request,
    principal: Principal = Depends(viewer),
    before: BeforeId = None,
    procedure: str | None = Query(None, max_length=MAX_PROCEDURE),
) -> Response:
    """List runs, newest first, a page at a time."""
    listed = runs_listing(app_state(request), limit=PAGE, before=before, procedure=procedure)
    return page(
        request,
        "runs.html",
        principal,
        runs=listed.runs,
        total=listed.total,
        next_before=listed.next_before,
        procedure=procedure or "",
    )


def _run_or_404(request: Request, run_id: int) -> WatchedRunView:
    data = run_detail(app_state(request), run_id)
    if data is None:
        raise HTTPException(404, f"There is no run {run_id}.")
    return data


def _gates(request: Request, run_id: int, principal: Principal) -> list[tuple[object, bool]]:
    """Return the run's gates waiting for people, each with whether this person may answer."""
    state = app_state(request)
    out: list[tuple[object, bool]] = []
    for gate in decisions.list_decisions(db=state.db, open_only=True, run_id=run_id, limit=10):
        try:
            allowed = holders(state.source.runbook, gate.role) if gate.role else frozenset()
        except BadInput:  # the role left the runbook since: only the CLI can answer now
            allowed = frozenset({""})
        out.append((gate, may_approve(allowed, principal.name)))
    return out


@router.get("/runs/{run_id}")
def run(run_id: ItemId, request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show a run: its status, the step it waits at, and every step's output."""
    found = _run_or_404(request, run_id)
    return page(request, "run.html", principal, run=found,
                gates=_gates(request, run_id, principal))  # fmt: skip


@router.get("/runs/{run_id}/live")
def run_live(run_id: ItemId, request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Return the live part of a run's page (polled by htmx while the run is going)."""
    found = _run_or_404(request, run_id)
    return page(request, "partials/run_live.html", principal, run=found,
                gates=_gates(request, run_id, principal))  # fmt: skip


@router.post("/runs/{run_id}/gates/{decision_id}")
async def answer_gate(
    run_id: ItemId, decision_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Approve (let pass) or stop a gate of the run that waits for people."""
    form = await request.form()
    answer = str(form.get("answer", ""))
    if answer not in ("approve", "stop"):
        raise HTTPException(422, "Choose approve or stop.")
    state = app_state(request)
    await run_in_threadpool(
        lambda: decisions.decide(
            db=state.db,
            decision_id=decision_id,
            let_pass=answer == "approve",
            actor=principal.name,
            note=_field(form, "note", decisions.MAX_TEXT),
            now=state.clock(),
        )
    )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _step(form: FormData) -> str | None:
    """Return the step the page showed the run waiting at (absent from older pages)."""
    return _field(form, "step", MAX_STEP) or None


@router.post("/runs/{run_id}/confirm")
async def confirm(
    run_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Confirm, skip or abort the step the run waits at."""
    form = await request.form()
    decision = DECISIONS.get(str(form.get("decision", "")))
    if decision is None:
        raise HTTPException(422, "Choose confirm, skip or abort.")
    state, step = app_state(request), _step(form)
    await run_in_threadpool(actions.answer, state, run_id, decision, principal, step)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/approve")
async def approve(
    run_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Approve the step the run waits at."""
    step = _step(await request.form())
    await run_in_threadpool(actions.approve, app_state(request), run_id, principal, step)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/abort")
async def abort(
    run_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Abort the run."""
    step = _step(await request.form())
    await run_in_threadpool(actions.abort, app_state(request), run_id, principal, step)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/resume")
def resume(run_id: ItemId, request: Request, principal: Principal = Depends(operator)) -> Response:
    """Go on with an interrupted run."""
    actions.resume(app_state(request), run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)
