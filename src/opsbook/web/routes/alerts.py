"""Monitoring over HTTP: alerts, silences, metrics and their pages (webhook: alertmanager.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opsbook.access.model import Principal
from opsbook.errors import BadInput, NotFound
from opsbook.monitoring import samples
from opsbook.monitoring.service import acknowledge as ack
from opsbook.monitoring.service import add_note as note
from opsbook.monitoring.service import (
    add_silence,
    list_alerts,
    list_silences,
    show_alert,
)
from opsbook.monitoring.silences import silence_length
from opsbook.monitoring.views import (
    AlertHistoryView,
    AlertView,
    MetricStatusView,
    SeriesView,
    SilenceView,
)
from opsbook.store.database import Database
from opsbook.web.alert_schemas import (
    AlertDetailOut,
    AlertOut,
    MetricOut,
    NoteIn,
    SeriesOut,
    SilenceIn,
    SilenceOut,
)
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.forms import form_model
from opsbook.web.monitoring_view import metric_rows, register_panels
from opsbook.web.page_links import PAGE_HEADERS, Cursor, next_page, paged
from opsbook.web.routes.responses import AUTH, INVALID, NOT_FOUND, ItemId
from opsbook.web.schemas import ErrorOut
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, tags=["alerts"])
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The alert's state does not allow this."},
}
register_panels()
STATES = ("open", "pending", "firing", "acknowledged", "silenced", "resolved")
PAGE_SIZE = 100  # alerts on one page of /alerts


@router.get(
    "/api/v1/alerts",
    response_model=list[AlertOut],
    responses={**AUTH, 200: {"headers": PAGE_HEADERS}},
)
def alerts(
    request: Request,
    response: Response,
    state: str | None = Query(None, description=", ".join(STATES)),
    q: str | None = Query(None, max_length=200, description="Search name and summary."),
    group: str | None = Query(None, max_length=2000, description="An Alertmanager groupKey."),
    limit: int = Query(100, ge=1, le=1000),
    cursor: Cursor = None,
    principal: Principal = Depends(viewer),
) -> list[AlertView]:
    """List alerts, newest first, a page at a time; filter by state, text and group.

    The total is in `X-Total-Count`; `X-Next-Cursor` (and a `Link` with rel="next") give
    the next page, as long as there is one.
    """
    if state is not None and state not in STATES:
        raise BadInput(f"state must be one of: {', '.join(STATES)}")
    shown = list_alerts(
        db=app_state(request).db, state=state, text=q, group=group, limit=limit, cursor=cursor
    )
    return paged(request, response, shown)


@router.get(
    "/api/v1/silences",
    response_model=list[SilenceOut],
    responses={**AUTH, 200: {"headers": PAGE_HEADERS}},
)
def silences(
    request: Request,
    response: Response,
    limit: int = Query(100, ge=1, le=1000),
    cursor: Cursor = None,
    principal: Principal = Depends(viewer),
) -> list[SilenceView]:
    """List the silences in force, ending soonest first, a page at a time (as alerts)."""
    state = app_state(request)
    shown = list_silences(db=state.db, now=state.clock(), limit=limit, cursor=cursor)
    return paged(request, response, shown)


@router.get(
    "/api/v1/alerts/{alert_id}", response_model=AlertDetailOut, responses={**AUTH, **NOT_FOUND}
)
def alert(
    alert_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> AlertHistoryView:
    """Show one alert with its history and notification attempts."""
    return show_alert(db=app_state(request).db, alert_id=alert_id)


@router.post(
    "/api/v1/alerts/{alert_id}/ack",
    response_model=AlertOut,
    responses={**AUTH, **NOT_FOUND, **CONFLICT},
)
def acknowledge(
    alert_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> AlertView:
    """Acknowledge a firing alert: people are on it, escalation stops."""
    state = app_state(request)
    return ack(db=state.db, alert_id=alert_id, by=principal.name, now=state.clock())


@router.post("/api/v1/alerts/{alert_id}/notes", status_code=204, responses={**AUTH, **NOT_FOUND})
def add_note(
    alert_id: ItemId, body: NoteIn, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Add a note to an alert's history."""
    state = app_state(request)
    note(db=state.db, alert_id=alert_id, text=body.text, by=principal.name, now=state.clock())
    return Response(status_code=204)


@router.post(
    "/api/v1/silences", response_model=SilenceOut, status_code=201, responses={**AUTH, **INVALID}
)
def silence(
    body: SilenceIn, request: Request, principal: Principal = Depends(operator)
) -> SilenceView:
    """Silence alerts whose labels match every matcher, for a duration (`2h`, `30 minutes`)."""
    state = app_state(request)
    # A bad matcher, comment or duration is a BadInput: the app answers 422 (413 if too long).
    return add_silence(
        db=state.db,
        matchers=body.matchers,
        duration=silence_length(body.duration),
        by=principal.name,
        comment=body.comment,
        now=state.clock(),
    )


@router.get("/api/v1/monitoring/metrics", response_model=list[MetricOut], responses=AUTH)
def metrics(request: Request, principal: Principal = Depends(viewer)) -> list[MetricStatusView]:
    """Each Key Metric's latest value or error, whether it is stale, and its thresholds."""
    return metric_rows(app_state(request))


@router.get(
    "/api/v1/monitoring/metrics/{metric_id}/series",
    response_model=SeriesOut,
    responses={**AUTH, **NOT_FOUND},
)
def metric_series(
    metric_id: str,
    request: Request,
    hours: float = Query(6, gt=0, le=24 * 31),
    series: str = Query("value", max_length=50),
    principal: Principal = Depends(viewer),
) -> SeriesView:
    """A metric's samples for the last `hours`, with its warning and critical lines."""
    app = app_state(request)
    now = app.clock()
    return samples.metric_series(
        db=app.db,
        runbook=app.source.runbook,
        metric_id=metric_id,
        since=now - timedelta(hours=hours),
        until=now,
        name=series,
    )


@router.get("/alerts", include_in_schema=False)
def alerts_page(
    request: Request,
    state: str = "open",
    q: str = Query("", max_length=200),
    cursor: Cursor = None,
    principal: Principal = Depends(viewer),
) -> Response:
    """Show alerts with their state, a page at a time, and buttons to acknowledge."""
    app = app_state(request)
    chosen = state if state in STATES or state == "all" else "open"
    shown = list_alerts(
        db=app.db,
        state=None if chosen == "all" else chosen,
        text=q or None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    return page(
        request,
        "alerts.html",
        principal,
        silences=list_silences(db=app.db, now=app.clock(), limit=1000).items,
        alerts=shown.items,
        listed=shown,
        older=next_page(request, shown.next_cursor) if shown.next_cursor else None,
        newest=request.url.remove_query_params("cursor") if cursor else None,
        chosen=chosen,
        q=q,
        states=(*STATES, "all"),
        counts={s: _how_many(app.db, s) for s in STATES},
    )


def _how_many(db: Database, state: str) -> str:
    """Return how many alerts are in a state, as the state picker shows it ("10,000+")."""
    counted = list_alerts(db=db, state=state, limit=1)  # a bounded count, not a scan
    return f"{counted.total:,}{'' if counted.total_exact else '+'}" if counted.total else ""


@router.get("/alerts/{alert_id}", include_in_schema=False)
def alert_page(
    alert_id: ItemId, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Show one alert, its history and the troubleshooting issue it links to."""
    shown = alert(alert_id, request, principal)
    runbook = app_state(request).source.runbook
    issue = runbook.issue(shown.issue) if shown.issue else None
    return page(request, "alert.html", principal, alert=shown, issue=issue)


@router.get("/monitoring", include_in_schema=False)
def monitoring_page(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show every Key Metric as a chart with its warning and critical lines."""
    return page(request, "monitoring.html", principal, metrics=metric_rows(app_state(request)))


@router.post("/alerts/{alert_id}/ack", include_in_schema=False)
def acknowledge_form(
    alert_id: ItemId, request: Request, principal: Principal = Depends(operator)
) -> Response:
    """Acknowledge from the alert page's form, then show the alert again."""
    acknowledge(alert_id, request, principal)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.get("/troubleshooting/{issue_id}", include_in_schema=False)
def troubleshooting_page(
    issue_id: str, request: Request, principal: Principal = Depends(viewer)
) -> Response:
    """Show a troubleshooting issue of the runbook and the alerts linked to it."""
    app = app_state(request)
    issue = app.source.runbook.issue(issue_id)
    if issue is None:
        raise NotFound(f"no troubleshooting issue {issue_id!r} in the runbook")
    linked = list_alerts(db=app.db, issue=issue.id, limit=50).items
    return page(request, "troubleshooting.html", principal, issue=issue, alerts=linked)


@router.post("/alerts/silence", include_in_schema=False)
async def silence_form(request: Request, principal: Principal = Depends(operator)) -> Response:
    """Silence from the alerts page's form (matchers one per line), then show the alerts."""
    form = await request.form()
    matchers = [m.strip() for m in str(form.get("matchers", "")).splitlines() if m.strip()]

    body = form_model(
        SilenceIn,
        {
            "matchers": matchers or [""],
            "duration": str(form.get("duration", "")) or "?",
            "comment": str(form.get("comment", "")),
        },
        "the silence form",
    )

    await run_in_threadpool(silence, body, request, principal)
    return RedirectResponse("/alerts?state=silenced", status_code=303)
