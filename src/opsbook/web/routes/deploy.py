"""Deployments and configuration over HTTP: what is live where, and the overview panel.

Thin: each route calls a use case of `opsbook.deploy` and presents. Viewers read.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from opsbook.access.model import Principal
from opsbook.deploy.service import deployed_versions
from opsbook.deploy.views import DeployedView
from opsbook.web.auth import GuardedRoute, viewer
from opsbook.web.panels import Panel, PanelItem, register_panel
from opsbook.web.routes.responses import AUTH
from opsbook.web.state import AppState, app_state

router = APIRouter(route_class=GuardedRoute, tags=["deploy"])
TONE = {"succeeded": "ok", "rolled-back": "warn", "failed": "bad"}


@router.get("/api/v1/deployments", response_model=list[DeployedView], responses=AUTH)
def list_deployments(request: Request, _: Principal = Depends(viewer)) -> list[DeployedView]:
    """List each deployment target's live version, the one before it, and the last run."""
    return deployed_versions(db=app_state(request).db)


def deployments_panel(state: AppState) -> Panel:
    """Return the overview's panel: current and previous version per target."""
    items = []
    for view in deployed_versions(db=state.db):
        value = f"{view.current or 'none'} (before: {view.previous or 'none'})"
        if view.last_run != view.current_run:
            value += f"; {view.last_version} {view.last_status}"
        items.append(
            PanelItem(
                view.target,
                value,
                tone=TONE.get(view.last_status, "muted"),
                href=f"/runs/{view.last_run}",
            )
        )
    note = "" if items else "No deployment yet: a run of a procedure with a VERSION parameter."
    return Panel("deployments", "Deployed versions", tuple(items), note)


register_panel("deployments", deployments_panel)
