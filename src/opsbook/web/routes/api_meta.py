"""Health, metrics, the caller, and the runbook model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from opsbook import __version__
from opsbook.access.model import Principal
from opsbook.runbook.serialize import runbook_data
from opsbook.web.auth import GuardedRoute, viewer
from opsbook.web.routes.responses import AUTH
from opsbook.web.schemas import HealthOut, MeOut, ProblemOut, RunbookStatusOut
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute)


@router.get("/api/v1/health", response_model=HealthOut, tags=["meta"])
def health(request: Request) -> HealthOut:
    """Say the server is up (for load balancers; no token needed)."""
    source = app_state(request).source
    return HealthOut(
        status="ok",
        version=__version__,
        runbook=str(source.path),
        runbook_refused=bool(source.problems),
    )


@router.get(
    "/metrics",
    tags=["meta"],
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text format.",
        }
    },
)
def metrics(request: Request) -> Response:
    """Return the server's metrics in the Prometheus text format (no token needed)."""
    body = app_state(request).metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/me", response_model=MeOut, tags=["access"], responses=AUTH)
def me(principal: Principal = Depends(viewer)) -> MeOut:
    """Return who the caller is and their role."""
    return MeOut(name=principal.name, role=principal.role, via=principal.via)


@router.get(
    "/api/v1/runbook",
    tags=["runbook"],
    responses=AUTH,
    response_model=dict[str, Any],
    response_description="The parsed runbook, as `opsbook inspect --json` prints it.",
)
def runbook(request: Request, _: Principal = Depends(viewer)) -> dict[str, Any]:
    """Return the runbook being served, as JSON."""
    return runbook_data(app_state(request).source.runbook)


@router.get(
    "/api/v1/runbook/status", response_model=RunbookStatusOut, tags=["runbook"], responses=AUTH
)
def runbook_status(request: Request, _: Principal = Depends(viewer)) -> RunbookStatusOut:
    """Say which runbook is live and why a newer file was refused, if one was."""
    source = app_state(request).source
    return RunbookStatusOut(
        path=str(source.path),
        title=source.runbook.system.name or source.runbook.title,
        loaded_at=source.loaded_at,
        refused_at=source.refused_at,
        problems=[
            ProblemOut(path=p.path, line=p.line, message=p.message, hint=p.hint)
            for p in source.problems
        ],
    )


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request, principal: Principal = Depends(viewer)) -> Response:
    """Show the API's operations (Swagger UI over /openapi.json) to a signed-in person."""
    return page(request, "api_docs.html", principal)
