"""Forms that show a use case's refusal on their own page, through the app's one handler.

An API route lets a `DomainError` reach `web/app.py`, which answers with the status of its
kind. A dashboard form is better answered by its own page again, the message shown beside
the form: the route says how to draw that page, once, and the same handler uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from opsbook.errors import BadInput, DomainError

Model = TypeVar("Model", bound=BaseModel)

# Draws a form's page again with the refusal shown inline, under the kind's HTTP status.
FormPage = Callable[[DomainError, int], Response]


def show_refusals_on(request: Request, render: FormPage) -> None:
    """Have a DomainError of this request answered by `render` rather than the error page."""
    request.state.form_page = render


def form_page(request: Request) -> FormPage | None:
    """Return how this request's form shows a refusal, if its route said."""
    render: FormPage | None = getattr(request.state, "form_page", None)
    return render


def form_model(model: type[Model], data: Mapping[str, object], what: str) -> Model:
    """Return a form's fields read as `model`, or raise BadInput saying what is wrong (422)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"{what} is not valid: {exc.errors()[0]['msg']}") from None
