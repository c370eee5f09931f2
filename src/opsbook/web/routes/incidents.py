"""Incidents over HTTP: the REST API under /api/v1/incidents and the dashboard pages.

Thin: each route parses, calls a use case of `opsbook.incidents`, and presents. Forms carry
the session's CSRF token (checked by the `operator`/`admin` dependencies).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from opsbook.access.model import Principal
from opsbook.access.roles import Role, allows
from opsbook.errors import NotFound
from opsbook.evidence.place import evidence_root
from opsbook.incidents import service
from opsbook.incidents.lifecycle import Event
from opsbook.incidents.postmortem import render
from opsbook.incidents.review import capture_logs, teach_runbook
from opsbook.incidents.severity import levels
from opsbook.incidents.views import EventView, IncidentDetailView, IncidentView
from opsbook.procedures.drive import this_process
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import build_plan
from opsbook.procedures.run_jobs import start_queued_run
from opsbook.web.auth import GuardedRoute, admin, operator, viewer
from opsbook.web.incident_schemas import (
    MAX_KIND,
    MAX_SEVERITY,
    EventOut,
    IncidentDetailOut,
    IncidentOut,
    NoteIn,
    OpenIn,
    TransitionIn,
    UpdateIn,
)
from opsbook.web.incidents_view import incident_page_view, register_incident_panel
from opsbook.web.page_links import PAGE_HEADERS, Cursor, paged
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND, ItemId
from opsbook.web.runs.actions import start
from opsbook.web.schemas import MAX_PROCEDURE, ErrorOut
from opsbook.web.state import AppState, app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, tags=["incidents"])
register_incident_panel()
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The incident's status does not allow this."},
}


def _open(state: AppState, title: str, severity: str, security: bool, by: str) -> IncidentView:
    runbook, now = state.source.runbook, state.clock()
    opened = service.open_incident(
        db=state.db,
        runbook=runbook,
        title=title,
        severity_level=severity,
        actor=by,
        now=now,
        security=security,
    )
    if security:
        vault = evidence_root(Path(runbook.path), runbook.settings, state.environ)
        capture_logs(
            db=state.db,
            runbook=runbook,
            incident_id=opened.incident.id,
            vault=vault,
            actor=by,
            now=now,
        )
    if state.worker is not None:
        state.worker.wake()
    return opened.incident


def _transition(
    state: AppState, incident_id: ItemId, event: Event, by: str, text: str = ""
) -> IncidentView:
    return service.transition(
        db=state.db, incident_id=incident_id, event=event, actor=by, now=state.clock(), text=text
    )


def _note(state: AppState, incident_id: int, text: str, kind: str, by: str) -> EventView:
    return service.add_note(
        db=state.db, incident_id=incident_id, text=text, actor=by, now=state.clock(), kind=kind
    )


def _update(state: AppState, incident_id: int, text: str, by: str) -> EventView:
    event = service.post_status_update(
        db=state.db,
        runbook=state.source.runbook,
        incident_id=incident_id,
        text=text,
        actor=by,
        now=state.clock(),
    )
    if state.worker is not None:
        state.worker.wake()
    return event


@router.get(
    "/api/v1/incidents",
    response_model=list[IncidentOut],
    responses={**AUTH, 200: {"headers": PAGE_HEADERS}},
)
def list_incidents(
    request: Request,
    response: Response,
    only_open: bool = False,
    limit: int = Query(50, ge=1, le=1000),
    cursor: Cursor = None,
    principal: Principal = Depends(viewer),
) -> list[IncidentView]:
    """List incidents, newest first, a page at a time (`only_open=true`: not resolved).

    The total is in `X-Total-Count`; `X-Next-Cursor` and `Link` give the next page.
    """
    shown = service.list_incidents(
        db=app_state(request).db, only_open=only_open, limit=limit, cursor=cursor
    )
    return paged(request, response, shown)


@router.post(
    "/api/v1/incidents", response_model=IncidentOut, status_code=201, responses={**AUTH, **INVALID}
)
def open_incident(
    body: OpenIn, request: Request, principal: Principal = Depends(operator)
) -> IncidentView:
    """Open an incident: respond-by from its severity; the primary contact is paged."""
    return _open(app_state(request), body.title, body.severity, body.security, principal.name)


@router.get(
    "/api/v1/incidents/{incident_id}",
    response_model=IncidentDetailOut,
    responses={**AUTH, **NOT_FOUND},
)
def show_incident(
    incident_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> IncidentDetailView:
    """Show an incident with its timeline, pages, action items and evidence."""
    return service.show_incident(db=app_state(request).db, incident_id=incident_id)


def _api_transition(event: Event) -> Any:
    def route(
        incident_id: ItemId,
        request: Request,
        body: TransitionIn | None = None,
        principal: Principal = Depends(operator),
    ) -> IncidentView:
        return _transition(
            app_state(request), incident_id, event, principal.name, body.text if body else ""
        )

    route.__name__ = f"{event.value}_incident"
    route.__doc__ = f"{event.value.capitalize()} an incident (409 when its status forbids it)."
    return route


for _event, _verb in (
    (Event.ACKNOWLEDGE, "ack"),
    (Event.MITIGATE, "mitigate"),
    (Event.RESOLVE, "resolve"),
    (Event.CLOSE, "close"),
):
    router.post(
        f"/api/v1/incidents/{{incident_id}}/{_verb}",
        response_model=IncidentOut,
        responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
    )(_api_transition(_event))


@router.post(
    "/api/v1/incidents/{incident_id}/notes",
    response_model=EventOut,
    status_code=201,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def add_note(
    incident_id: ItemId, body: NoteIn, request: Request, principal: Principal = Depends(operator)
) -> EventView:
    """Add a note (or root cause, trigger, impact, lesson, resolution) to the timeline."""
    return _note(app_state(request), incident_id, body.text, body.kind, principal.name)


@router.post(
    "/api/v1/incidents/{incident_id}/updates",
    response_model=EventOut,
    status_code=201,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def post_update(
    incident_id: ItemId, body: UpdateIn, request: Request, principal: Principal = Depends(operator)
) -> EventView:
    """Send a status update to every emergency contact and keep it in the timeline."""
    return _update(app_state(request), incident_id, body.text, principal.name)


# Pages ------------------------------------------------------------------------------------


@router.get("/incidents", include_in_schema=False)
def incidents_page(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """List open and recent incidents with live countdowns; a form to open one."""
    state = app_state(request)
    rows = service.list_incidents(db=state.db, limit=100).items

    return page(
        request, "incidents.html", principal, incidents=rows, levels=levels(state.source.runbook)
    )


@router.post("/incidents", include_in_schema=False)
def open_form(
    request: Request,
    severity: str = Form(..., max_length=MAX_SEVERITY),
    title: str = Form(..., max_length=service.MAX_TITLE),
    security: bool = Form(False),
    principal: Principal = Depends(operator),
) -> Response:
    """Open an incident from the form, then show it."""
    opened = _open(app_state(request), title, severity, security, principal.name)
    return RedirectResponse(f"/incidents/{opened.id}", status_code=303)


@router.get("/incidents/{incident_id}", include_in_schema=False)
def incident_page(
    incident_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Show an incident: countdown, phases, actions, suggestions, timeline."""
    shown = incident_page_view(app_state(request), incident_id)
    return page(
        request,
        "incident.html",
        principal,
        incident=shown.incident,
        rank=shown.rank,
        phases=shown.phases,
        matches=shown.matches,
        issues=shown.issues,
        shutdowns=shown.shutdowns,
        is_open=shown.is_open,
        custody=shown.custody,
        custody_problem=shown.custody_problem,
        note_kinds=service.NOTE_KINDS,
    )


@router.post("/incidents/{incident_id}/notes/add", include_in_schema=False)
def note_form(
    incident_id: ItemId,
    request: Request,
    text: str = Form(..., max_length=service.MAX_NOTE),
    kind: str = Form("note", max_length=MAX_KIND),
    principal: Principal = Depends(operator),
) -> Response:
    """Add a note from the incident page."""
    _note(app_state(request), incident_id, text, kind, principal.name)
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.get("/incidents/{incident_id}/timeline", include_in_schema=False)
def timeline_partial(
    incident_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Return the incident's timeline table (polled by htmx)."""
    data = service.show_incident(db=app_state(request).db, incident_id=incident_id)
    return page(request, "partials/incident_timeline.html", principal, incident=data)


@router.post("/incidents/{incident_id}/updates/add", include_in_schema=False)
def update_form(
    incident_id: ItemId,
    request: Request,
    text: str = Form(..., max_length=service.MAX_UPDATE),
    principal: Principal = Depends(operator),
) -> Response:
    """Send a status update from the incident page."""
    _update(app_state(request), incident_id, text, principal.name)
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.post("/incidents/{incident_id}/actions/add", include_in_schema=False)
def action_form(
    incident_id: ItemId,
    request: Request,
    text: str = Form(..., max_length=service.MAX_ACTION),
    owner: str = Form(..., max_length=service.MAX_OWNER),
    principal: Principal = Depends(operator),
) -> Response:
    """Track a follow-up action item with its owner."""
    state = app_state(request)
    service.add_action_item(
        db=state.db,
        incident_id=incident_id,
        text=text,
        owner=owner,
        actor=principal.name,
        now=state.clock(),
    )
    return RedirectResponse(f"/incidents/{incident_id}#actions-h", status_code=303)


@router.post("/incidents/{incident_id}/actions/{item_id}/done", include_in_schema=False)
def action_done_form(
    incident_id: ItemId, item_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Mark an action item done."""
    state = app_state(request)
    now = state.clock()
    service.complete_action_item(
        db=state.db, incident_id=incident_id, item_id=item_id, actor=principal.name, now=now
    )
    return RedirectResponse(f"/incidents/{incident_id}#actions-h", status_code=303)


@router.post("/incidents/{incident_id}/update-runbook", include_in_schema=False)
def update_runbook_form(
    incident_id: ItemId,
    request: Request,
    title: str = Form("", max_length=service.MAX_TITLE),
    principal: Principal = Depends(admin),
) -> Response:
    """As an admin, add the incident's lesson to the runbook's Troubleshooting Guide."""
    state = app_state(request)
    teach_runbook(
        db=state.db,
        runbook_path=state.source.path,
        incident_id=incident_id,
        actor=principal.name,
        now=state.clock(),
        title=title.strip() or None,
    )
    state.source.reload_if_changed(state.clock())
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.post("/incidents/{incident_id}/diagnose/{issue_id}", include_in_schema=False)
def diagnose_form(
    incident_id: ItemId, issue_id: str, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Start a troubleshooting issue's diagnosis as a run; its output joins the timeline."""
    state = app_state(request)
    service.show_incident(db=state.db, incident_id=incident_id)  # NotFound before any run
    found = state.source.runbook.issue(issue_id)
    if found is None:
        raise NotFound(f"no troubleshooting issue {issue_id!r} in the runbook")
    run_id = start(state, f"{found.id}:diagnosis", {}, None, principal)
    text = f"Started the diagnosis of {found.title}: run {run_id}"
    service.link_run(
        db=state.db,
        incident_id=incident_id,
        run_id=run_id,
        actor=principal.name,
        now=state.clock(),
        text=text,
        data={"target": f"{found.id}:diagnosis", "pending": True},
    )
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.post("/incidents/{incident_id}/force", include_in_schema=False)
def force_form(
    incident_id: ItemId,
    request: Request,
    procedure: str = Form(..., max_length=MAX_PROCEDURE),
    reason: str = Form(..., max_length=service.MAX_NOTE),
    principal: Principal = Depends(admin),
) -> Response:
    """As an admin, start a refused shutdown procedure with a written reason."""
    state = app_state(request)
    service.show_incident(db=state.db, incident_id=incident_id)  # NotFound before any run
    plan = build_plan(state.source.runbook, target=procedure, params={}, environ=state.environ)
    override = Override(principal.name, reason, allows(principal.role, Role.ADMIN))
    run_id = start_queued_run(
        db=state.db,
        plan=plan,
        me=this_process(principal.name),
        now=state.clock,
        guard=state.run_guard,
        override=override,
    )
    if state.worker is not None:
        state.worker.wake()
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/incidents/{incident_id}/postmortem.md", include_in_schema=False)
async def postmortem_markdown(
    incident_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Return the post-mortem, pre-filled from the timeline, as Markdown."""
    state = app_state(request)
    data = await run_in_threadpool(service.show_incident, db=state.db, incident_id=incident_id)
    text = render(data, generated_at=state.clock().strftime("%Y-%m-%d %H:%M UTC"))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


# Last: its `{verb}` segment would otherwise catch the routes above.
@router.post("/incidents/{incident_id}/{verb}", include_in_schema=False)
def transition_form(
    incident_id: ItemId,
    verb: str,
    request: Request,
    text: str = Form("", max_length=service.MAX_REMARK),
    principal: Principal = Depends(operator),
) -> Response:
    """Acknowledge, mitigate, resolve or close from the incident page."""
    events = {
        "ack": Event.ACKNOWLEDGE,
        "mitigate": Event.MITIGATE,
        "resolve": Event.RESOLVE,
        "close": Event.CLOSE,
    }
    if verb not in events:
        raise HTTPException(404, f"no action {verb!r} on an incident")
    _transition(app_state(request), incident_id, events[verb], principal.name, text)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
