"""Sign in and out: a login form with CSRF (double-submit cookie) and rate limiting."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opsbook.access import service
from opsbook.access.credentials import new_secret, same
from opsbook.web.auth import SESSION_COOKIE, check_csrf, current_principal
from opsbook.web.state import app_state
from opsbook.web.templating import page

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "opsbook_login_csrf"
MAX_FIELD = 200  # a name, a password, a token or a CSRF token
MAX_NEXT = 2000  # the page to go back to


def _safe_next(target: str) -> str:
    # Only same-site paths: never an open redirect to another host.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_form(request: Request, error: str = "", status: int = 200, nxt: str = "/") -> Response:
    csrf = new_secret()
    response = page(
        request,
        "login.html",
        None,
        status_code=status,
        error=error,
        login_csrf=csrf,
        next=_safe_next(nxt),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str = Query("/", max_length=MAX_NEXT)) -> Response:
    """Show the sign-in form."""
    return _login_form(request, nxt=next)


@router.post("/login")
def login(
    request: Request,
    name: str = Form("", max_length=MAX_FIELD),
    secret: str = Form("", max_length=MAX_FIELD),
    csrf_token: str = Form("", max_length=MAX_FIELD),
    next: str = Form("/", max_length=MAX_NEXT),
) -> Response:
    """Check the name and password (or an access token) and open a session."""
    state = app_state(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not same(cookie, csrf_token):
        return _login_form(request, "The form expired. Please try again.", 403, next)
    now = state.clock()
    source = request.client.host if request.client else "unknown"
    account = name.strip().lower()
    wait = state.limiter.wait(source=source, account=account, now=now.timestamp())
    if wait.seconds > 0:
        seconds = int(wait.seconds) + 1
        response = _login_form(
            request,
            f"Too many failed sign-ins {wait.reason}. Try again in {seconds} seconds.",
            429,
            next,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    result = service.login(state.db, name=name, secret=secret.strip(), now=now) if secret else None
    if result is None:
        state.limiter.failed(source=source, account=account, now=now.timestamp())
        return _login_form(request, "That name and password or token is not valid.", 401, next)
    state.limiter.succeeded(source=source, account=account)
    _, session_id = result
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(service.SESSION_TTL.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the browser session."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id:
        principal = await current_principal(request, None, session_id)
        await check_csrf(request, principal)
        await run_in_threadpool(service.logout, app_state(request).db, session_id=session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
