"""The API's run schemas present the run views: the same fields, so neither can drift."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pydantic import BaseModel

from opsbook.procedures.views import (
    AttemptView,
    ConfirmationView,
    RunPage,
    RunView,
    WaitingView,
    WatchedRunView,
)
from opsbook.web.schemas import (
    AttemptOut,
    ConfirmationOut,
    RunDetailOut,
    RunOut,
    RunPageOut,
    WaitingOut,
)


@pytest.mark.parametrize(
    ("schema", "view"),
    [
        (RunOut, RunView),
        (RunDetailOut, WatchedRunView),
        (AttemptOut, AttemptView),
        (ConfirmationOut, ConfirmationView),
        (WaitingOut, WaitingView),
        (RunPageOut, RunPage),
    ],
)
def test_each_run_schema_has_exactly_its_views_fields_in_order(
    schema: type[BaseModel], view: type
) -> None:
    assert list(schema.model_fields) == [f.name for f in fields(view)]
