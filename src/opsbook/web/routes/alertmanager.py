"""The Alertmanager webhook receiver: the one route that takes floods.

Its router is the first the app includes: FastAPI tries routes in order, and matching a
webhook against every dashboard route first cost more than validating it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response

from opsbook.access.model import Principal
from opsbook.access.roles import Role
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.monitoring.receiver_queue import ReceiverQueue
from opsbook.web.alert_schemas import IngestOut
from opsbook.web.auth import GuardedRoute, require
from opsbook.web.routes.responses import AUTH, INVALID
from opsbook.web.state import app_state

router = APIRouter(route_class=GuardedRoute, tags=["alerts"])
log = logging.getLogger(__name__)
ingest = require(Role.INGEST)


def receiver(request: Request) -> ReceiverQueue:
    """Return the app's receiver queue (one per app: one writer for all webhook requests)."""
    queue: ReceiverQueue | None = getattr(request.app.state, "alert_receiver", None)
    if queue is None:
        state = app_state(request)
        wake = state.worker.wake if state.worker is not None else None
        queue = ReceiverQueue(state.db, lambda: state.source.runbook, state.clock, wake=wake)
        request.app.state.alert_receiver = queue
    return queue


def _payload_schema() -> dict[str, Any]:
    """Return AmPayload's JSON schema with its sub-models inlined (for the OpenAPI body)."""
    schema = AmPayload.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _payload_schema()}},
    }
}


@router.post(
    "/api/v1/alertmanager",
    response_model=IngestOut,
    openapi_extra=_BODY,
    responses={**AUTH, **INVALID},
)
async def alertmanager(request: Request, principal: Principal = Depends(ingest)) -> Response:
    """Receive an Alertmanager webhook (version 4): dedup by fingerprint, resolve, group."""
    queue = receiver(request)
    try:
        payload = await queue.parse(await request.body())
    except ValidationError as exc:  # the body is read here, not by FastAPI: say so as it does
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
        ) from None
    result = await queue.submit(payload)
    if result.dropped or result.adjusted:
        # repr: the lines quote text from outside, which must not forge lines of the log.
        log.warning(
            "webhook from receiver %r: %d alert(s) dropped over the limit; changed to store: %r",
            payload.receiver,
            result.dropped,
            list(result.adjusted),
        )
    out = IngestOut.model_validate(result, from_attributes=True)
    return Response(out.model_dump_json(), media_type="application/json")
