"""API schemas of monitoring: alerts, silences, metrics and the Alertmanager receiver."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from opsbook.web.schemas import IsoTime


class IngestOut(BaseModel):
    received: int = Field(description="Alerts in the payload.")
    created: int = Field(description="Alerts seen for the first time.")
    updated: int = Field(description="Alerts already stored (deduplicated by fingerprint).")
    resolved: int = Field(description="Stored alerts this payload resolved.")
    dropped: int = Field(
        default=0, description="Alerts beyond the 10,000 one request may carry: not stored."
    )
    adjusted: list[str] = Field(
        default_factory=list,
        description="What was changed so every alert could be stored (a value over its limit "
        "cut, NUL or invalid Unicode replaced, a time that is not usable taken as not set), "
        "naming each value; the first 20 changes.",
    )


class AlertOut(BaseModel):
    id: int
    name: str
    state: str
    severity: str
    origin: str
    summary: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    fingerprint: str
    group_key: str | None
    metric: str | None
    issue: str | None
    value: float | None
    starts_at: IsoTime | None
    ends_at: IsoTime | None
    updated_at: IsoTime | None
    last_seen_at: IsoTime | None = Field(
        default=None, description="When Alertmanager last repeated it."
    )
    received: int
    generator_url: str
    acknowledged_by: str | None
    acknowledged_at: IsoTime | None
    silence_id: int | None
    in_maintenance: bool
    notified_at: IsoTime | None
    escalated_at: IsoTime | None
    run_id: int | None


class HistoryOut(BaseModel):
    at: IsoTime | None
    kind: str
    actor: str
    detail: str


class AttemptOut(BaseModel):
    channel: str
    target: str
    attempt: int
    ok: bool
    error: str | None
    at: IsoTime | None


class AlertDetailOut(AlertOut):
    history: list[HistoryOut]
    notifications: list[AttemptOut]


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class SilenceIn(BaseModel):
    matchers: list[str] = Field(min_length=1, max_length=20, examples=[['alertname="Disk usage"']])
    duration: str = Field(min_length=1, max_length=50, examples=["2h"])
    comment: str = Field(default="", max_length=2000)


class SilenceOut(BaseModel):
    id: int
    matchers: list[str]
    starts_at: IsoTime
    ends_at: IsoTime
    silenced_alerts: list[int] = Field(description="Open alerts the silence muted when made.")
    created_by: str = ""
    comment: str = ""


class MetricOut(BaseModel):
    metric: str
    name: str
    source: str
    value: float | None
    error: str | None
    at: IsoTime | None
    stale: bool
    warning: str | None
    critical: str | None
    level: str = Field(description="The line the last value crosses: ok, warning or critical.")


class SeriesOut(BaseModel):
    metric: str
    series: str
    times: list[float] = Field(description="Unix seconds.")
    values: list[float | None]
    warning: float | None
    critical: float | None
    start: float = Field(description="The time axis to draw, Unix seconds: at least an hour.")
    end: float
    hold: float | None = Field(description="Seconds over a line before the alert fires.")
    pending: list[float] = Field(description="When an alert of this metric went pending.")
    fired: list[float] = Field(description="When an alert of this metric fired.")
