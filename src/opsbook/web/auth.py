"""Who is calling, and may they: bearer tokens, session cookies, roles and CSRF."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

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
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known  # settled by GuardedRoute before the body was read
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


def check_role(principal: Principal, role: Role) -> None:
    """Refuse a caller whose role does not reach `role`."""
    if not allows(principal.role, role):
        raise HTTPException(
            403, f"this needs the {role.value} role; {principal.name} is {principal.role.value}"
        )


# Each `require(role)` dependency, and the role it admits (read by GuardedRoute).
_ROLE_OF: dict[Callable[..., Any], Role] = {}


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """Return a dependency that admits callers with at least `role` (and checks CSRF)."""

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> Principal:
        check_role(principal, role)
        await check_csrf(request, principal)
        return principal

    dependency.__name__ = f"require_{role.value}"
    _ROLE_OF[dependency] = role
    return dependency


def _roles_needed(dependant: Dependant) -> Iterator[Role]:
    for sub in dependant.dependencies:
        if sub.call in _ROLE_OF:
            yield _ROLE_OF[sub.call]
        yield from _roles_needed(sub)


class GuardedRoute(APIRoute):
    """A route that settles who calls, and whether their role may, before reading the body.

    FastAPI reads and parses a request's body before it runs any dependency, so without
    this a stranger's body is parsed (and its errors answered, 422) before `require` says
    401. The CSRF check stays in `require`: a form's token is in the body.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        roles = tuple(_roles_needed(self.dependant))
        if not roles:
            return handler

        async def guarded(request: Request) -> Response:
            principal = await current_principal(
                request, await bearer(request), await session_cookie(request)
            )
            for role in roles:
                check_role(principal, role)
            return await handler(request)

        return guarded


viewer = require(Role.VIEWER)
operator = require(Role.OPERATOR)
admin = require(Role.ADMIN)
