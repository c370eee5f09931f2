"""Backups over the API and on the dashboard: list, status, run a backup, a restore drill or a
DR drill (operators), read the reports (viewers). Thin: each calls one use case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from opsbook.access.model import Principal
from opsbook.backups import service
from opsbook.backups.dr import list_dr_drills, run_dr_drill, show_dr_drill
from opsbook.backups.dr_report import measured_against
from opsbook.backups.drills import list_drills, run_drill
from opsbook.backups.monitoring_alerts import MonitoringAlerts
from opsbook.backups.settings import find_spec
from opsbook.backups.shell import BashRunner
from opsbook.backups.views import BackupView, DrDrillView, DrillView, StatusView
from opsbook.backups.watch import watch_rpo
from opsbook.moments import span
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.backups_view import base_of, dr_plan_of, register_panels, specs_of, statuses
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND, ItemId
from opsbook.web.state import AppState, app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, tags=["backups"])
register_panels()
Name = Annotated[
    str,
    Path(
        min_length=1,
        max_length=63,
        pattern="^[a-z0-9][a-z0-9_-]*$",
        description="The backup's name.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/api/v1/backups", response_model=list[BackupView], responses=AUTH)
def backups(
    request: Request, name: str | None = None, limit: Limit = 50, _: Principal = Depends(viewer)
) -> list[BackupView]:
    """List backups, newest first, each with its newest drill's outcome."""
    return service.list_backups(db=app_state(request).db, name=name, limit=limit)


@router.get("/api/v1/backups/status", response_model=list[StatusView], responses=AUTH)
def backup_status(request: Request, _: Principal = Depends(viewer)) -> list[StatusView]:
    """Each backup set: last backup, newest one a drill proved, its age against the RPO."""
    return statuses(app_state(request))


@router.get("/api/v1/backups/drills", response_model=list[DrillView], responses=AUTH)
def drills(
    request: Request, name: str | None = None, limit: Limit = 50, _: Principal = Depends(viewer)
) -> list[DrillView]:
    """List restore drills, newest first."""
    return list_drills(db=app_state(request).db, name=name, limit=limit)


@router.post(
    "/api/v1/backups/{name}/run",
    response_model=BackupView,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def run_backup(name: Name, request: Request, _: Principal = Depends(operator)) -> BackupView:
    """Make a backup now (the request waits until it is written, or failed)."""
    return _backup(app_state(request), name)


@router.post(
    "/api/v1/backups/{name}/drill",
    response_model=DrillView,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def drill(name: Name, request: Request, _: Principal = Depends(operator)) -> DrillView:
    """Run a restore drill of the newest good backup now."""
    return _drill(app_state(request), name)


@router.get("/api/v1/dr/drills", response_model=list[DrDrillView], responses=AUTH)
def dr_drills(
    request: Request, limit: Limit = 20, _: Principal = Depends(viewer)
) -> list[DrDrillView]:
    """List DR drills, newest first, each with its report."""
    return list_dr_drills(db=app_state(request).db, limit=limit)


@router.post("/api/v1/dr/drill", response_model=DrDrillView, responses={**AUTH, **INVALID})
def dr_drill(request: Request, _: Principal = Depends(operator)) -> DrDrillView:
    """Run a DR drill on the runbook's scratch target now."""
    return _dr(app_state(request))


def _backup(state: AppState, name: str) -> BackupView:
    spec = find_spec(specs_of(state), name)
    view = service.run_backup(db=state.db, spec=spec, clock=state.clock)
    _watch(state)
    return view


def _drill(state: AppState, name: str) -> DrillView:
    spec = find_spec(specs_of(state), name)
    alerts = MonitoringAlerts(state.db, state.source.runbook)
    view = run_drill(db=state.db, spec=spec, clock=state.clock, alerts=alerts)
    _watch(state)
    return view


def _dr(state: AppState) -> DrDrillView:
    runbook = state.source.runbook
    return run_dr_drill(
        db=state.db,
        runbook=runbook,
        plan=dr_plan_of(runbook),
        base=base_of(state),
        clock=state.clock,
        runner=BashRunner(),
    )


def _watch(state: AppState) -> None:
    runbook = state.source.runbook
    watch_rpo(
        db=state.db,
        specs=specs_of(state).values(),
        rpo_seconds=runbook.disaster_recovery.rpo_seconds,
        now=state.clock(),
        alerts=MonitoringAlerts(state.db, runbook),
    )


@router.get("/backups", include_in_schema=False)
def backups_page(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show backup sets, backups, restore drills and DR drills, with buttons to run them."""
    state = app_state(request)
    return page(
        request,
        "backups.html",
        principal,
        sets=statuses(state),
        backups=service.list_backups(db=state.db, limit=30),
        drills=list_drills(db=state.db, limit=20),
        dr_drills=list_dr_drills(db=state.db, limit=10),
        dr_steps=len(state.source.runbook.disaster_recovery.steps),
        measured=measured_against,
        span=span,
    )


@router.post("/backups/{name}/run", include_in_schema=False)
def run_form(name: Name, request: Request, _: Principal = Depends(operator)) -> Response:
    """Make a backup from the page, then show the page."""
    _backup(app_state(request), name)
    return RedirectResponse("/backups", status_code=303)


@router.post("/backups/{name}/drill", include_in_schema=False)
def drill_form(name: Name, request: Request, _: Principal = Depends(operator)) -> Response:
    """Run a restore drill from the page, then show the page."""
    _drill(app_state(request), name)
    return RedirectResponse("/backups#drills", status_code=303)


@router.post("/dr/drill", include_in_schema=False)
def dr_form(request: Request, _: Principal = Depends(operator)) -> Response:
    """Run a DR drill from the page, then show its report."""
    view = _dr(app_state(request))
    return RedirectResponse(f"/dr/{view.id}", status_code=303)


@router.get("/dr/{drill_id}", include_in_schema=False)
def dr_page(drill_id: ItemId, request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show one DR drill's report: RTO and RPO against the targets, every step timed."""
    view = show_dr_drill(db=app_state(request).db, drill_id=drill_id)
    return page(request, "dr.html", principal, drill=view, measured=measured_against)
