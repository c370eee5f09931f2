"""Monitoring tables: metric samples, alerts with their history, silences, rule tracks.

Times are stored as UTC; SQLite hands them back naive, `utc()` makes them aware again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base

_TS = DateTime(timezone=True)


class SampleRow(Base):
    """One reading of one series of a metric; `value` None with `error` set when it failed."""

    __tablename__ = "metric_samples"
    __table_args__ = (Index("ix_metric_samples_metric_at", "metric", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(200))
    series: Mapped[str] = mapped_column(String(50), default="value")
    at: Mapped[datetime] = mapped_column(_TS, index=True)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class AlertRow(Base):
    """One alert occurrence: from a threshold rule, or received from Alertmanager."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state_updated_at", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    origin: Mapped[str] = mapped_column(String(20))  # rule | alertmanager
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(100))
    group_key: Mapped[str | None] = mapped_column(Text, default=None)
    metric: Mapped[str | None] = mapped_column(String(200), default=None)
    issue: Mapped[str | None] = mapped_column(String(200), default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    starts_at: Mapped[datetime] = mapped_column(_TS)
    ends_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    updated_at: Mapped[datetime] = mapped_column(_TS)  # last change of state
    last_seen_at: Mapped[datetime | None] = mapped_column(_TS, default=None)  # last repeat
    received: Mapped[int] = mapped_column(Integer, default=1)
    generator_url: Mapped[str] = mapped_column(Text, default="")
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    silence_id: Mapped[int | None] = mapped_column(Integer, default=None)
    in_maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    notified_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)


class AlertEventRow(Base):
    """A line of an alert's history: state changes, notifications, notes, actions."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(_TS)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200), default="opsbook")
    detail: Mapped[str] = mapped_column(Text, default="")


class SilenceRow(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(_TS)
    ends_at: Mapped[datetime] = mapped_column(_TS, index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")


class RuleTrackRow(Base):
    """What a threshold rule remembers between evaluations (survives a restart)."""

    __tablename__ = "rule_tracks"

    metric: Mapped[str] = mapped_column(String(200), primary_key=True)
    warning_since: Mapped[datetime | None] = mapped_column(_TS, default=None)
    critical_since: Mapped[datetime | None] = mapped_column(_TS, default=None)
    firing: Mapped[int] = mapped_column(Integer, default=0)
    last_value: Mapped[float | None] = mapped_column(Float, default=None)
    alert_id: Mapped[int | None] = mapped_column(Integer, default=None)


class LeaseRow(Base):
    """Which server runs monitoring now: one holder at a time, renewed every cycle."""

    __tablename__ = "monitoring_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(_TS)
