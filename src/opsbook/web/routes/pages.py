"""Dashboard pages: overview, procedures, the rendered runbook."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, Response

from opsbook.access.model import Principal
from opsbook.runbook.render_html import STYLESHEET
from opsbook.web.auth import GuardedRoute, viewer
from opsbook.web.routes.api_procedures import find_procedure, summary
from opsbook.web.runbook_page import runbook_html
from opsbook.web.runs.views import latest_runs, overview_panels, runs_listing
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)


@router.get("/")
async def overview(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show the system's status at a glance."""
    # Served from the one-second cache almost always: cheaper on the event loop than in a
    # worker thread (threads only add switching between requests that all need the CPU).
    state = app_state(request)
    runbook = state.source.runbook
    return page(
        request,
        "overview.html",
        principal,
        runbook=runbook,
        procedures=[summary(p) for p in runbook.procedures],
        last=latest_runs(state),
        panels=overview_panels(state),
    )


@router.get("/partials/procedure-status")
async def procedure_status(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Return the overview's procedure-status table (polled by htmx)."""
    state = app_state(request)
    runbook = state.source.runbook
    return page(
        request,
        "partials/procedure_status.html",
        principal,
        procedures=[summary(p) for p in runbook.procedures],
        last=latest_runs(state),
    )


@router.get("/procedures")
def procedures(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """List the runbook's procedures."""
    state = app_state(request)
    runbook = state.source.runbook
    return page(
        request,
        "procedures.html",
        principal,
        procedures=[summary(p) for p in runbook.procedures],
        last=latest_runs(state),
    )


@router.get("/procedures/{procedure_id}")
def procedure(
    procedure_id: str, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Show a procedure's steps, a form to start it, and its recent runs."""
    state = app_state(request)
    proc = find_procedure(request, procedure_id)
    runs = runs_listing(state, limit=15, procedure=proc.id).runs
    return page(request, "procedure.html", principal, proc=proc, runs=runs, problems=[], values={})


@router.get("/runbook")
def runbook(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show the runbook document, rendered."""
    state = app_state(request)
    return page(request, "runbook.html", principal, body=runbook_html(state.source))


@router.get("/runbook.css")
def runbook_stylesheet(_: Principal = Depends(viewer)) -> Response:
    """Return the rendered runbook's stylesheet (a file: the CSP allows no inline styles)."""
    return FileResponse(STYLESHEET, media_type="text/css")
