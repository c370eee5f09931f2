"""On-call over HTTP: who is on call now, the schedule, calendar feeds and their tokens.

Thin: each route parses, calls a use case of `opsbook.oncall`, and presents. Viewers read;
operators make feed links. A feed itself answers a calendar program without a session:
the token in its URL opens that one feed and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from opsbook.access.model import Principal
from opsbook.oncall import feeds, service
from opsbook.oncall.views import OnCallView, RotationView, ShiftView
from opsbook.web.auth import GuardedRoute, operator, viewer
from opsbook.web.oncall_view import oncall_panel
from opsbook.web.panels import register_panel
from opsbook.web.routes.responses import AUTH, INVALID, NO_STORE, NOT_FOUND, ItemId
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["oncall"])
register_panel("oncall", oncall_panel)
Name = Annotated[str | None, Query(min_length=1, max_length=60, description="A rotation.")]
Person = Annotated[str | None, Query(min_length=1, max_length=300, description="A person.")]


class FeedIn(BaseModel):
    """Which feed to make a link for: a rotation's, or one person's shifts in it."""

    rotation: str = Field(min_length=1, max_length=60)
    person: str | None = Field(default=None, min_length=1, max_length=300)


class FeedOut(BaseModel):
    """A feed link: its token is shown this once."""

    id: int
    rotation: str
    person: str
    token: str
    url: str


def _moment(value: datetime | None, default: datetime) -> datetime:
    return default if value is None else service.check_moment(value)


@router.get("/api/v1/oncall/rotations", response_model=list[RotationView], responses=AUTH)
def rotations(request: Request, _: Principal = Depends(viewer)) -> list[RotationView]:
    """List the runbook's rotations: zone, layers, people, how many overrides."""
    return service.list_rotations(runbook=app_state(request).source.runbook)


@router.get("/api/v1/oncall/now", response_model=list[OnCallView], responses={**AUTH, **NOT_FOUND})
def now(
    request: Request,
    rotation: Name = None,
    at: Annotated[datetime | None, Query(description="As at this moment (default: now).")] = None,
    _: Principal = Depends(viewer),
) -> list[OnCallView]:
    """Say who is on call in each layer of each rotation, until when, why, and who is next."""
    state = app_state(request)
    moment = _moment(at, state.clock())
    return service.who_is_on_call(runbook=state.source.runbook, now=moment, rotation=rotation)


@router.get(
    "/api/v1/oncall/schedule",
    response_model=list[ShiftView],
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def schedule(
    request: Request,
    rotation: Name = None,
    person: Person = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    _: Principal = Depends(viewer),
) -> list[ShiftView]:
    """List the shifts between two moments (default: the next two weeks)."""
    state = app_state(request)
    begin = _moment(start, state.clock())
    finish = service.check_moment(end) if end else begin + timedelta(days=14)
    return service.shifts_between(
        runbook=state.source.runbook, start=begin, end=finish, rotation=rotation, person=person
    )


@router.post(
    "/api/v1/oncall/feeds",
    response_model=FeedOut,
    status_code=201,
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def make_feed(
    body: FeedIn, request: Request, response: Response, who: Principal = Depends(operator)
) -> FeedOut:
    """Make a calendar feed link for a rotation or a person; the token is shown once."""
    state = app_state(request)
    made = feeds.create_feed_token(
        db=state.db,
        runbook=state.source.runbook,
        rotation=body.rotation,
        person=body.person,
        actor=who.name,
        now=state.clock(),
    )
    response.headers["Cache-Control"] = NO_STORE
    base = str(request.base_url).rstrip("/")
    return FeedOut(
        id=made.id,
        rotation=made.rotation,
        person=made.person,
        token=made.token,
        url=base + made.path,
    )


@router.delete("/api/v1/oncall/feeds/{feed_id}", status_code=204, responses={**AUTH, **NOT_FOUND})
def revoke_feed(feed_id: ItemId, request: Request, _: Principal = Depends(operator)) -> Response:
    """Revoke a feed link: its calendar gets 404 from now on."""
    state = app_state(request)
    feeds.revoke_feed_token(db=state.db, token_id=feed_id, now=state.clock())
    return Response(status_code=204)


@router.get("/oncall/feeds/{rotation}.ics", include_in_schema=False)
async def feed(
    request: Request,
    rotation: Annotated[str, Path(min_length=1, max_length=60)],
    token: Annotated[str, Query(max_length=feeds.MAX_TOKEN)] = "",
    person: Person = None,
) -> Response:
    """Answer a calendar program: the feed its token opens (404 for any other token)."""
    state = app_state(request)
    text = await run_in_threadpool(
        feeds.feed_for_token,
        db=state.db,
        runbook=state.source.runbook,
        rotation=rotation,
        person=person,
        token=token,
        now=state.clock(),
    )
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
