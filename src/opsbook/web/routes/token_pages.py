"""The admin's tokens page: list, create (shown once), revoke."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from opsbook.access import service
from opsbook.access.model import Principal
from opsbook.access.roles import Role, parse_role
from opsbook.web.auth import GuardedRoute, admin
from opsbook.web.forms import show_refusals_on
from opsbook.web.routes.responses import NO_STORE, ItemId
from opsbook.web.schemas import MAX_NAME
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)


def _tokens_page(
    request: Request, principal: Principal, status: int = 200, **extra: object
) -> Response:
    tokens = service.list_tokens(app_state(request).db)
    response = page(
        request,
        "tokens.html",
        principal,
        status_code=status,
        tokens=tokens,
        roles=[r.value for r in Role],
        **extra,
    )
    response.headers["Cache-Control"] = NO_STORE  # a new token is shown here once
    return response


@router.get("/tokens")
def tokens(request: Request, principal: Principal = Depends(admin)) -> Response:
    """List API tokens, with a form to create one."""
    return _tokens_page(request, principal)


@router.post("/tokens")
def create(
    request: Request,
    principal: Principal = Depends(admin),
    name: str = Form("", max_length=MAX_NAME),
    role: str = Form("", max_length=MAX_NAME),
) -> Response:
    """Create a token and show it this once."""
    state = app_state(request)
    show_refusals_on(
        request, lambda exc, status: _tokens_page(request, principal, status, error=str(exc))
    )
    info, token = service.create_token(
        state.db, name=name, role=parse_role(role), created_by=principal.name, now=state.clock()
    )
    return _tokens_page(request, principal, 201, created=info, token=token)


@router.post("/tokens/{token_id}/revoke")
def revoke(token_id: ItemId, request: Request, principal: Principal = Depends(admin)) -> Response:
    """Revoke a token at once."""
    state = app_state(request)
    if not service.revoke_token(state.db, token_id=token_id, now=state.clock()):
        raise HTTPException(404, f"There is no active token {token_id}.")
    return RedirectResponse("/tokens", status_code=303)
