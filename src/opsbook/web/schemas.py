"""The API's request and response bodies (pydantic), as published in /openapi.json."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from opsbook.access.roles import Role

# Bounds of what a request may carry (characters, or items of a collection).
MAX_PROCEDURE = 200  # a procedure's id or name
MAX_PARAMS = 100
MAX_PARAM_NAME = 100
MAX_PARAM_VALUE = 16_384
MAX_HOST = 255
MAX_NAME = 100  # of a token or a user
MAX_STEP = 100  # a step's key: `steps:2`, `rollback:1`


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# A time of a read model as ISO 8601 text with its offset ("2026-11-27T03:00:00+00:00"), as
# the API has written alert times from the start (pydantic would write "Z").
IsoTime = Annotated[datetime, PlainSerializer(_iso, return_type=str)]


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]]


class HealthOut(BaseModel):
    status: str = Field(description="`ok` while the server runs.")
    version: str
    runbook: str = Field(description="Path of the runbook being served.")
    runbook_refused: bool = Field(description="A newer runbook file was refused (see problems).")


class ProblemOut(BaseModel):
    path: str
    line: int
    message: str
    hint: str


class RunbookStatusOut(BaseModel):
    path: str
    title: str
    loaded_at: datetime
    refused_at: datetime | None
    problems: list[ProblemOut] = Field(description="Why the newest file was refused, if it was.")


class MeOut(BaseModel):
    name: str
    role: Role
    via: str


class ParameterOut(BaseModel):
    name: str
    required: bool
    description: str
    default: str | None
    line: int


class StepOut(BaseModel):
    text: str
    command: str | None
    attrs: dict[str, Any]
    line: int
    placeholders: list[str]


class ProcedureOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    id: str
    line: int
    objective: str
    frequency: str | None
    parameters: list[ParameterOut]
    prerequisites: list[StepOut]
    steps: list[StepOut]
    validation: list[StepOut]
    rollback: list[StepOut]
    rollback_procedure: str | None
    notes: str


class ProcedureSummaryOut(BaseModel):
    id: str
    name: str
    objective: str
    steps: int
    checks: int
    manual_steps: int
    parameters: list[ParameterOut]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=r"\S")
    role: Role


class TokenOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=r"\S")
    role: Role
    password: str = Field(min_length=8, max_length=200)


class UserOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime
    disabled: bool


class TokenCreatedOut(BaseModel):
    token: str = Field(description="The token itself: shown this once, only its hash is kept.")
    info: TokenOut


class RunOut(BaseModel):
    id: int
    procedure: str
    title: str
    kind: str
    runbook: str
    status: str = Field(description="running, waiting, succeeded, failed, rolled-back, interrupted")
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    started_by: str
    params: dict[str, Any]
    host: str | None
    waiting_step: str | None


class RunPageOut(BaseModel):
    runs: list[RunOut]
    total: int = Field(description="How many runs match the filters in all.")
    next_before: int | None = Field(description="Pass as `before` for the next page.")


class AttemptOut(BaseModel):
    step: str
    phase: str
    number: int
    text: str
    command: str | None
    host: str
    attempt: int
    status: str
    exit_code: int | None
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    stdout: str
    stderr: str
    error: str | None


class ConfirmationOut(BaseModel):
    step: str
    decision: str
    by: str | None
    via: str | None
    requested_at: datetime | None
    decided_at: datetime | None


class WaitingOut(BaseModel):
    key: str
    label: str
    text: str
    command: str | None
    approvals_needed: int
    approved_by: list[str]


class RunDetailOut(RunOut):
    steps: dict[str, str] = Field(description="Outcome of each finished step, by step key.")
    attempts: list[AttemptOut]
    confirmations: list[ConfirmationOut]
    waiting: WaitingOut | None


class StartRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[
        Annotated[str, Field(max_length=MAX_PARAM_NAME)],
        Annotated[str, Field(max_length=MAX_PARAM_VALUE)],
    ] = Field(default_factory=dict, max_length=MAX_PARAMS)
    host: str | None = Field(
        default=None, max_length=MAX_HOST, description="Run on this host or group only."
    )


STEP_DESCRIPTION = (
    "The key of the step this decision is about (`waiting.key`). Given, the decision is made "
    "only while the run still waits at that step; otherwise 409 says who decided it."
)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: str | None = Field(default=None, max_length=MAX_STEP, description=STEP_DESCRIPTION)


class AnswerIn(StepIn):
    decision: Literal["confirm", "skip", "abort"]


class PlanProblemsOut(BaseModel):
    detail: str
    problems: list[str]
