"""API tokens (list, create shown once, revoke) and users (list, create, disable). Admins only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from opsbook.access import service
from opsbook.access.model import Principal, TokenInfo, UserInfo
from opsbook.web.auth import GuardedRoute, admin
from opsbook.web.routes.responses import AUTH, INVALID, NO_STORE, NOT_FOUND, ItemId
from opsbook.web.schemas import ErrorOut, TokenCreatedOut, TokenIn, TokenOut, UserIn, UserOut
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["access"])


def token_out(info: TokenInfo) -> TokenOut:
    """Return a token's record as the API shows it."""
    return TokenOut.model_validate(info, from_attributes=True)


@router.get("/api/v1/tokens", response_model=list[TokenOut], responses=AUTH)
def list_tokens(request: Request, _: Principal = Depends(admin)) -> list[TokenOut]:
    """List API tokens (never the tokens themselves)."""
    return [token_out(t) for t in service.list_tokens(app_state(request).db)]


@router.post(
    "/api/v1/tokens",
    response_model=TokenCreatedOut,
    status_code=201,
    responses={**AUTH, **INVALID},
)
def create_token(
    body: TokenIn, request: Request, response: Response, principal: Principal = Depends(admin)
) -> TokenCreatedOut:
    """Create an API token; the response carries it this once (and no cache keeps it)."""
    response.headers["Cache-Control"] = NO_STORE
    state = app_state(request)
    info, token = service.create_token(
        state.db, name=body.name, role=body.role, created_by=principal.name, now=state.clock()
    )
    return TokenCreatedOut(token=token, info=token_out(info))


@router.delete(
    "/api/v1/tokens/{token_id}", response_model=TokenOut, responses={**AUTH, **NOT_FOUND}
)
def revoke_token(token_id: ItemId, request: Request, _: Principal = Depends(admin)) -> TokenOut:
    """Revoke a token at once; its sessions end too."""
    state = app_state(request)
    match = service.revoke_token(state.db, token_id=token_id, now=state.clock())
    if not match:
        raise HTTPException(404, f"no active token with id {token_id}")
    return token_out(match[0])


def user_out(info: UserInfo) -> UserOut:
    """Return a user's record as the API shows it."""
    return UserOut.model_validate(info, from_attributes=True)


@router.get("/api/v1/users", response_model=list[UserOut], responses=AUTH)
def list_users(request: Request, _: Principal = Depends(admin)) -> list[UserOut]:
    """List the users who sign in with a name and password."""
    return [user_out(u) for u in service.list_users(app_state(request).db)]


@router.post(
    "/api/v1/users",
    response_model=UserOut,
    status_code=201,
    responses={**AUTH, **INVALID, 409: {"model": ErrorOut, "description": "The name is taken."}},
)
def create_user(body: UserIn, request: Request, _: Principal = Depends(admin)) -> UserOut:
    """Create a user who signs in on the login page with this name and password."""
    state = app_state(request)
    info = service.create_user(
        state.db, name=body.name, role=body.role, password=body.password, now=state.clock()
    )
    return user_out(info)


@router.delete("/api/v1/users/{user_id}", response_model=UserOut, responses={**AUTH, **NOT_FOUND})
def disable_user(user_id: ItemId, request: Request, _: Principal = Depends(admin)) -> UserOut:
    """Disable a user at once; their browser sessions end."""
    state = app_state(request)
    info = service.disable_user(state.db, user_id=user_id, now=state.clock())
    if info is None:
        raise HTTPException(404, f"no active user with id {user_id}")
    return user_out(info)
