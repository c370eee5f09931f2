"""The FastAPI application: API routes, dashboard pages, static files, and the lifespan
that runs the background worker loop beside the web server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from opsbook import __version__
from opsbook.errors import HTTP_STATUS, DomainError
from opsbook.procedures.plan import PlanError
from opsbook.web.forms import form_page
from opsbook.web.middleware import ServerMiddleware
from opsbook.web.routes import (
    alertmanager,
    alerts,
    api_meta,
    api_procedures,
    api_runs,
    api_tokens,
    backups,
    deploy,
    evidence,
    login,
    maintenance,
    oncall,
    pages,
    run_pages,
    token_pages,
)
from opsbook.web.routes import incidents as incident_routes
from opsbook.web.state import AppState
from opsbook.web.templating import page

API_DESCRIPTION = """The opsbook server: the runbook, its procedures and their runs.

Every route except `/api/v1/health`, `/metrics` and this description (`/openapi.json`)
needs `Authorization: Bearer <token>` (`opsbook token create --name NAME --role
viewer|operator|admin`) or a browser session.

Limits: a request body is at most 1 MiB (8 MiB for the Alertmanager webhook), else 413.
Text in the path, the query, forms and JSON must be valid UTF-8 without NUL characters,
else 422 (the webhook excepted: it cleans what it stores). Ids are 1 to 2^31-1.
"""


def create_app(state: AppState) -> FastAPI:
    """Build the app around one AppState (database, live runbook, clock, worker)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = None
        if state.worker is not None and state.run_worker:
            task = asyncio.create_task(state.worker.run(), name="opsbook-worker")
        try:
            yield
        finally:
            if task is not None and state.worker is not None:
                state.worker.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="opsbook",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # /openapi.json is public (the API's description holds no data); the docs page is
        # the dashboard's own (routes/api_meta.py), behind sign-in, with no CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.opsbook = state
    for router in routers():
        app.include_router(router)
    app.include_router(incident_routes.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(PlanError, _cannot_run)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_middleware(ServerMiddleware, metrics=state.metrics)
    if state.trusted_proxies:
        # Added last, so it runs first: the client and scheme are settled before anything
        # (the login limit, HSTS, secure cookies) reads them.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(state.trusted_proxies))
    return app


def routers() -> list[APIRouter]:
    """Return every router the app serves (API and pages)."""
    # The webhook first: routes are tried in order, and it is the one that takes floods.
    modules = (
        alertmanager,
        api_meta,
        api_procedures,
        api_runs,
        api_tokens,
        login,
        pages,
        run_pages,
        token_pages,
        alerts,
        evidence,
        backups,
        maintenance,
        deploy,
        oncall,
    )
    return [m.router for m in modules]


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/v1/") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if _wants_html(request):
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

        principal = getattr(request.state, "principal", None)
        return page(
            request, "error.html", principal, status_code=exc.status_code, detail=exc.detail
        )
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _domain_error(request: Request, exc: DomainError) -> Response:
    """Answer a use case's refusal with the status of its kind, as any HTTP error, or on
    the page of the form that asked (`web/forms.py`)."""
    render = form_page(request)
    if render is not None:  # it may read the database: off the event loop, as the route was
        return await run_in_threadpool(render, exc, HTTP_STATUS[exc.kind])
    return await _http_error(request, HTTPException(HTTP_STATUS[exc.kind], str(exc)))


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


async def _cannot_run(request: Request, exc: PlanError) -> Response:
    return JSONResponse(
        {"detail": "the run cannot start; nothing was run", "problems": exc.problems},
        status_code=422,
    )
