"""Maintenance over HTTP: the tasks and their runs, heartbeats, and the dashboard page.

Thin: each route parses, calls a use case of `opsbook.maintenance`, and presents. Viewers
read; operators ping, run and mark done (forms carry the session's CSRF token).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opsbook.access.model import Principal
from opsbook.maintenance import service
from opsbook.maintenance.completion import Completion, complete
from opsbook.maintenance.views import RunView, TaskView
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.maintenance_view import maintenance_panel, spec_named, specs_of
from opsbook.web.panels import register_panel
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND
from opsbook.web.state import AppState, app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, tags=["maintenance"])
register_panel("maintenance", maintenance_panel)
Task = Annotated[
    str,
    Path(min_length=1, max_length=200, description="The task's key (`log-rotation`) or name."),
]


class PingIn(BaseModel):
    """A heartbeat from work done elsewhere (cron, CI)."""

    kind: Literal["start", "success", "fail"] = "success"
    exit_status: int | None = Field(default=None, ge=0, le=255)
    detail: str = Field(default="", max_length=service.MAX_TEXT)


class DoneIn(BaseModel):
    """A task a person did."""

    note: str = Field(default="", max_length=service.MAX_TEXT)


class QueuedOut(BaseModel):
    """A run queued for a worker."""

    run: int


@router.get("/api/v1/maintenance", response_model=list[TaskView], responses=AUTH)
def list_tasks(request: Request, _: Principal = Depends(viewer)) -> list[TaskView]:
    """List the maintenance tasks: schedule, standing, next due, last success."""
    state = app_state(request)
    return service.list_tasks(db=state.db, specs=specs_of(state), now=state.clock())


@router.get(
    "/api/v1/maintenance/runs", response_model=list[RunView], responses={**AUTH, **NOT_FOUND}
)
def list_runs(
    request: Request,
    task: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    _: Principal = Depends(viewer),
) -> list[RunView]:
    """List runs newest first: scheduled, missed, run by hand, pinged, done."""
    state = app_state(request)
    key = spec_named(state, task).key if task else None
    return service.history(db=state.db, task=key, limit=limit)


@router.post(
    "/api/v1/maintenance/{task}/ping",
    response_model=RunView,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def ping(
    task: Task, request: Request, body: PingIn | None = None, who: Principal = Depends(operator)
) -> RunView:
    """Record a heartbeat: `start`, then `success` or `fail` (a non-zero exit status fails)."""
    state = app_state(request)
    sent = body or PingIn()
    spec = spec_named(state, task)
    ran = service.ping(
        db=state.db,
        spec=spec,
        kind=sent.kind,
        exit_status=sent.exit_status,
        actor=who.name,
        detail=sent.detail,
        now=state.clock(),
    )
    if sent.kind != "start":
        complete(
            db=state.db,
            runbook=state.source.runbook,
            spec=spec,
            run=ran,
            actor=who.name,
            now=state.clock(),
        )
    return ran


@router.post(
    "/api/v1/maintenance/{task}/run",
    response_model=QueuedOut,
    status_code=202,
    responses={**AUTH, **NOT_FOUND},
)
def run_task(task: Task, request: Request, who: Principal = Depends(operator)) -> QueuedOut:
    """Queue a run of the task now; a worker runs it."""
    return QueuedOut(run=_queue(app_state(request), task, who))


@router.post(
    "/api/v1/maintenance/{task}/done",
    response_model=Completion,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def mark_done(
    task: Task, request: Request, body: DoneIn | None = None, who: Principal = Depends(operator)
) -> Completion:
    """Record that a person did the task now; the runbook's table is updated."""
    return _done(app_state(request), task, (body or DoneIn()).note, who)


@router.get("/maintenance", include_in_schema=False)
def maintenance_page(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show the tasks with their standing, and the latest runs."""
    state = app_state(request)
    tasks = service.list_tasks(db=state.db, specs=specs_of(state), now=state.clock())
    runs = service.history(db=state.db, limit=30)
    return page(request, "maintenance.html", principal, tasks=tasks, runs=runs)


@router.post("/maintenance/{task}/run", include_in_schema=False)
async def run_form(task: Task, request: Request, who: Principal = Depends(operator)) -> Response:
    """Queue a run from the dashboard."""
    state = app_state(request)
    await run_in_threadpool(_queue, state, task, who)
    if state.worker is not None:
        state.worker.wake()
    return RedirectResponse("/maintenance#runs", status_code=303)


@router.post("/maintenance/{task}/done", include_in_schema=False)
def done_form(
    task: Task,
    request: Request,
    note: str = Form("", max_length=service.MAX_TEXT),
    who: Principal = Depends(operator),
) -> Response:
    """Mark a task done from the dashboard."""
    _done(app_state(request), task, note, who)
    return RedirectResponse("/maintenance#runs", status_code=303)


def _queue(state: AppState, task: str, who: Principal) -> int:
    spec = spec_named(state, task)
    return service.request_run(
        db=state.db, spec=spec, actor=who.name, source="dashboard", now=state.clock(), queue=True
    )


def _done(state: AppState, task: str, note: str, who: Principal) -> Completion:
    spec = spec_named(state, task)
    marked = service.mark_done(db=state.db, spec=spec, actor=who.name, now=state.clock(), note=note)
    return complete(
        db=state.db,
        runbook=state.source.runbook,
        spec=spec,
        run=marked,
        actor=who.name,
        now=state.clock(),
    )
