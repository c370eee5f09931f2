"""Alertmanager's webhook payload (version 4), validated and made storable.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config

A body that is not a version 4 notification is refused whole (422); within a valid one, each
value is brought within the limits of `webhook_limits` instead, so one odd alert never costs
the others (Alertmanager does not retry a 4xx).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from opsbook.monitoring.webhook_limits import (
    MAX_ALERTS,
    MAX_ANNOTATION_VALUE,
    MAX_FINGERPRINT,
    MAX_LABEL_VALUE,
    MAX_LABELS,
    MAX_NAME,
    MAX_RECEIVER,
    MAX_TEXT,
    NO_NUL,
    Notes,
    fit_notification,
    fit_times,
)


def _stored(max_length: int) -> Any:
    """Return the constraints of a stored text: bounded, no NUL (pydantic refuses lone
    surrogates by itself). The published schema is a plain string: `parse_notification`
    fits a text outside them rather than refusing it."""
    return StringConstraints(max_length=max_length, pattern=NO_NUL), WithJsonSchema(_STRING)


def _published_without_maximum(schema: dict[str, Any]) -> None:
    """Publish no maximum count: alerts, labels and annotations beyond it are fitted."""
    schema.pop("maxItems", None)
    schema.pop("maxProperties", None)


_STRING = {"type": "string"}
Name = Annotated[str, *_stored(MAX_NAME)]
LabelValue = Annotated[str, *_stored(MAX_LABEL_VALUE)]
AnnotationValue = Annotated[str, *_stored(MAX_ANNOTATION_VALUE)]
LongText = Annotated[str, *_stored(MAX_TEXT)]


# Field names are Alertmanager's own (camelCase), so the JSON maps one to one.
class AmAlert(BaseModel):
    """One alert of a notification."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[Name, LabelValue] = Field(
        min_length=1,
        max_length=MAX_LABELS,
        json_schema_extra=_published_without_maximum,
        description=f"At most {MAX_LABELS} (alertname and severity kept first), names of "
        f"{MAX_NAME} and values of {MAX_LABEL_VALUE} characters; beyond that, cut.",
    )
    annotations: dict[Name, AnnotationValue] = Field(
        default_factory=dict,
        max_length=MAX_LABELS,
        json_schema_extra=_published_without_maximum,
        description=f"At most {MAX_LABELS}, names of {MAX_NAME} and values of "
        f"{MAX_ANNOTATION_VALUE} characters; beyond that, cut.",
    )
    # Once validated: a usable time (naive means UTC), or None when not set (Alertmanager's
    # zero time) or not usable; a firing alert has no endsAt.
    startsAt: datetime | None
    endsAt: datetime | None = None
    generatorURL: LongText = ""
    fingerprint: Annotated[str, *_stored(MAX_FINGERPRINT)] = Field(
        default="", description=f"Longer than {MAX_FINGERPRINT} characters: replaced by its hash."
    )

    def key(self, started: str | None = None) -> str:
        """Return the dedup key: the fingerprint (or the label set) and when it started."""
        if started is None:
            started = self.startsAt.isoformat() if self.startsAt else ""
        return f"am:{self.identity()}:{started}"

    def identity(self) -> str:
        """Return Alertmanager's fingerprint, or a hash of the labels when none was sent."""
        if self.fingerprint:
            return self.fingerprint
        text = "\x00".join(f"{k}\x01{v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def ended(self) -> datetime | None:
        """Return endsAt, or None when not set (Alertmanager's zero time)."""
        return self.endsAt


class AmPayload(BaseModel):
    """A webhook notification: one group of alerts (`parse_notification` reads a body)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    groupKey: LongText
    status: Literal["firing", "resolved"]
    receiver: Annotated[str, *_stored(MAX_RECEIVER)]
    # Read, never stored: a NUL in them harms nothing, so they cost no check.
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[AmAlert] = Field(
        max_length=MAX_ALERTS,
        json_schema_extra=_published_without_maximum,
        description=f"At most {MAX_ALERTS:,}; the rest are dropped and counted.",
    )
    _adjusted: tuple[str, ...] = PrivateAttr(default=())
    _dropped: int = PrivateAttr(default=0)

    @model_validator(mode="after")
    def _usable_times(self, info: ValidationInfo) -> AmPayload:
        """Take Alertmanager's zero time, and any time that is not a usable one, as not set."""
        notes: Notes = (info.context or {}).get("notes") or Notes()
        for index, alert in enumerate(self.alerts):
            # The instance's own dict: pydantic's attribute hook costs four times as much,
            # for every alert of a flood.
            fit_times(alert.__dict__, notes, index)
        self._adjusted, self._dropped = notes.summary(), notes.dropped
        return self

    @property
    def adjusted(self) -> tuple[str, ...]:
        """Return what was changed to store this notification (lines naming each value)."""
        return self._adjusted

    @property
    def dropped(self) -> int:
        """Return how many alerts beyond `MAX_ALERTS` were dropped."""
        return self._dropped


def parse_notification(body: bytes) -> AmPayload:
    """Return the webhook body as a notification (ValidationError if it is not one).

    A body within the limits goes straight to the model. One that is not (a value too long,
    NUL, a lone surrogate, too many alerts) is read again, made storable and noted
    (`fit_notification`): one odd alert must not cost the others their place.
    """
    try:
        return AmPayload.model_validate_json(body)
    except ValidationError as exc:
        refused = exc
    notes = Notes()
    try:
        data = fit_notification(json.loads(body.decode("utf-8", "replace"), strict=False), notes)
    except (ValueError, RecursionError):  # not JSON, or nested past any notification's depth
        raise refused from None
    return AmPayload.model_validate(data, context={"notes": notes})


def severity_of(labels: dict[str, str]) -> str:
    """Return the alert's severity label, `warning` when it has none."""
    return (labels.get("severity") or "warning").lower()[:20]


def problems_of(exc: Exception) -> list[str]:
    """Return a pydantic validation error as lines naming each bad field."""
    if not isinstance(exc, ValidationError):
        return [str(exc)]
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())) or "body"
        lines.append(f"{where}: {error.get('msg', 'invalid')}")
    return lines
