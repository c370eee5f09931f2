"""What the run use cases return: typed, frozen read models of recorded runs.

Every face presents these: the API's schemas validate them (`RunOut.model_validate(view,
from_attributes=True)`), the pages read their attributes, and `json_ready` turns them into
the JSON of `runs show --json`, `runs list --json`, `run --json` and GET /api/v1/runs. Field
names are those JSON keys, in their order, so the field list here is that contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from opsbook.runbook.record import Record

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, eq=False, repr=False)
class RunView(Record):
    """One run as the runs list shows it."""

    id: int
    procedure: str
    title: str
    kind: str
    runbook: str
    status: str
    message: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    params: Mapping[str, JsonValue]
    host: str | None
    waiting_step: str | None


@dataclass(frozen=True, eq=False, repr=False)
class AttemptView(Record):
    """One attempt of a step on one host (or by a person), with its output."""

    step: str
    phase: str
    number: int
    text: str
    command: str | None
    host: str
    attempt: int
    status: str
    exit_code: int | None
    started_at: datetime
    finished_at: datetime | None
    duration: float | None
    stdout: str
    stderr: str
    error: str | None


@dataclass(frozen=True, eq=False, repr=False)
class ConfirmationView(Record):
    """A confirmation asked for a step, and the answer if there is one."""

    step: str
    decision: str
    by: str | None
    via: str | None
    requested_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, eq=False, repr=False)
class RunDetailView(RunView):
    """One run with its step outcomes (by step key), attempts and confirmations."""

    steps: Mapping[str, str]
    attempts: tuple[AttemptView, ...]
    confirmations: tuple[ConfirmationView, ...]

    @classmethod
    def of(
        cls,
        run: RunView,
        steps: Mapping[str, str],
        attempts: tuple[AttemptView, ...],
        confirmations: tuple[ConfirmationView, ...],
    ) -> RunDetailView:
        """Return the run with its step outcomes, attempts and confirmations."""
        return cls(**_values(run), steps=steps, attempts=attempts, confirmations=confirmations)


@dataclass(frozen=True, eq=False, repr=False)
class WaitingView(Record):
    """The step a waiting run stops at, and the approvals it has and needs."""

    key: str
    label: str
    text: str
    command: str | None
    approvals_needed: int
    approved_by: tuple[str, ...]


@dataclass(frozen=True, eq=False, repr=False)
class WatchedRunView(RunDetailView):
    """A run as its page and the API show it: its record and the step it waits at."""

    waiting: WaitingView | None

    @classmethod
    def of_detail(cls, run: RunDetailView, waiting: WaitingView | None) -> WatchedRunView:
        """Return the run's record with what it waits for."""
        return cls(**_values(run), waiting=waiting)


@dataclass(frozen=True, eq=False, repr=False)
class RunPage(Record):
    """A page of runs, newest first; `next_before` is the `before` of the next page."""

    runs: tuple[RunView, ...]
    total: int
    next_before: int | None


def _values(view: RunView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in _names(view)}


View = RunView | AttemptView | ConfirmationView | WaitingView | RunPage
_NAMES: dict[type, tuple[str, ...]] = {}


def json_ready(view: View) -> dict[str, JsonValue]:
    """Return a view as JSON-ready data: times in ISO 8601, nested views as objects."""
    return {name: _plain(getattr(view, name)) for name in _names(view)}


def _names(view: View) -> tuple[str, ...]:
    names = _NAMES.get(type(view))
    if names is None:
        names = _NAMES[type(view)] = tuple(f.name for f in fields(view))
    return names


def _plain(value: object) -> JsonValue:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Record):
        assert isinstance(value, View)
        return json_ready(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    assert value is None or isinstance(value, str | int | float | bool)
    return value
