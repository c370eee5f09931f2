"""Deployments over HTTP: what is live where, and the gates waiting for a person.

Thin: each route calls a use case of `opsbook.deploy` and presents. Viewers read;
operators answer an inconclusive gate (let it pass, or stop it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from opsbook.access.model import Principal
from opsbook.deploy import decisions
from opsbook.deploy.service import deployed_versions
from opsbook.deploy.views import DecisionView, DeployedView
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.deploy_view import deployments_panel
from opsbook.web.panels import register_panel
from opsbook.web.routes.responses import AUTH, NOT_FOUND
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["deploy"])
register_panel("deployments", deployments_panel)


class AnswerIn(BaseModel):
    """A person's answer to an inconclusive gate."""

    let_pass: bool
    note: str = Field(default="", max_length=decisions.MAX_TEXT)


@router.get("/api/v1/deployments", response_model=list[DeployedView], responses=AUTH)
def list_deployments(request: Request, _: Principal = Depends(viewer)) -> list[DeployedView]:
    """List each deployment target's live version, the one before it, and the last run."""
    return deployed_versions(db=app_state(request).db)


@router.get("/api/v1/gate-decisions", response_model=list[DecisionView], responses=AUTH)
def list_gate_decisions(
    request: Request,
    every: Annotated[bool, Query(alias="all", description="Answered ones too.")] = False,
    _: Principal = Depends(viewer),
) -> list[DecisionView]:
    """List inconclusive gates waiting for a person (with all=true, the answered ones too)."""
    return decisions.list_decisions(db=app_state(request).db, open_only=not every)


@router.post(
    "/api/v1/gate-decisions/{decision_id}",
    response_model=DecisionView,
    responses={**AUTH, **NOT_FOUND},
)
def answer_gate(
    request: Request,
    body: AnswerIn,
    decision_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: Principal = Depends(operator),
) -> DecisionView:
    """Let an inconclusive gate pass on your word, or stop it; the first answer wins."""
    state = app_state(request)
    return decisions.decide(
        db=state.db,
        decision_id=decision_id,
        let_pass=body.let_pass,
        actor=principal.name,
        note=body.note,
        now=state.clock(),
    )
