"""Error responses every protected route documents in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from opsbook.inputs import MAX_ID
from opsbook.web.schemas import ErrorOut

AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No valid token or session."},
    403: {"model": ErrorOut, "description": "The caller's role may not do this."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such item."},
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "The request is not valid."},
}

# Ids are 32-bit database integers; a larger number cannot name anything.
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A page's bound: the items older than this id.
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Items older than this id.")]

# Cache-Control of a response that shows a secret (a new token): no cache may keep it.
NO_STORE = "no-store"
