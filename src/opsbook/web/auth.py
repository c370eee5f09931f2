"""Who is calling, and may they: bearer tokens, session cookies, roles and CSRF."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from opsbook.access import service
from opsbook.access.credentials import same
from opsbook.access.model import Principal
from opsbook.access.roles import Role, allows
from opsbook.web.state import app_state

SESSION_COOKIE = "opsbook_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False, description="An API token from `opsbook token create` (Bearer opsb_...)."
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="A browser session from the login page."
)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    session_id: str | None = Depends(session_cookie),
) -> Principal:
    """Return the caller from a bearer token or a session cookie; 401 if neither is valid.

    The lookups are single indexed reads and run on the event loop: handing each request
    to a worker thread just to read one row cost more than the read. The rare write
    (a token's last use) goes to a thread, so a busy database never stalls the loop.
    """
    state = app_state(request)
    now = state.clock()
    if credentials is not None:
        found = service.find_token(state.db, token=credentials.credentials, now=now)
        if found is None:
            raise unauthorized("the token is not valid or was revoked")
        principal, touch = found
        if touch is not None:
            await run_in_threadpool(service.touch_token, state.db, token_id=touch, now=now)
    elif session_id:
        session = service.authenticate_session(state.db, session_id=session_id, now=now)
        if session is None:
            raise unauthorized("your session ended; sign in again")
        principal = session
    else:
        raise unauthorized("sign in, or send an API token as 'Authorization: Bearer <token>'")
    request.state.principal = principal
    return principal


async def check_csrf(request: Request, principal: Principal) -> None:
    """Refuse an unsafe request made with a session cookie but without its CSRF token."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not sent or not same(sent, principal.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """Return a dependency that admits callers with at least `role` (and checks CSRF)."""

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> Principal:
        if not allows(principal.role, role):
            raise HTTPException(
                403, f"this needs the {role.value} role; {principal.name} is {principal.role.value}"
            )
        await check_csrf(request, principal)
        return principal

    dependency.__name__ = f"require_{role.value}"
    return dependency


viewer = require(Role.VIEWER)
operator = require(Role.OPERATOR)
admin = require(Role.ADMIN)
