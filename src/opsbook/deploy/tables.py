"""The deploy tables: each configuration file's baselines, the accepted versions kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base

TS = DateTime(timezone=True)


class ConfigBaselineRow(Base):
    """One accepted version of a configuration file; the newest of a key is its baseline."""

    __tablename__ = "config_baselines"
    __table_args__ = (
        # Versions count up per file: a second writer of the same version fails, not forks.
        UniqueConstraint("key", "version", name="uq_config_baselines_key_version"),
        Index("ix_config_baselines_key_current", "key", "current"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(1200))
    host: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    exists: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(100))
    grp: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # The file's text with secrets masked (None: binary, too large or missing).
    text: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_at: Mapped[datetime] = mapped_column(TS)
    recorded_by: Mapped[str] = mapped_column(String(200))
    # Why this version became the baseline: recorded, or accepted (and the run that made it).
    reason: Mapped[str] = mapped_column(Text, default="")
    # The drift (a digest of the file's state) whose alert is open (None: none open).
    alerted_for: Mapped[str | None] = mapped_column(String(64), default=None)
    # When that alert started (its identity with the fingerprint, to resolve it).
    alert_started_at: Mapped[datetime | None] = mapped_column(TS, default=None)


class GateDecisionRow(Base):
    """A gate that could not decide (its source did not answer), waiting for a person."""

    __tablename__ = "gate_decisions"
    __table_args__ = (Index("ix_gate_decisions_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    step: Mapped[str] = mapped_column(String(200), default="")
    gate: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    asked_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    # Approvals: how many distinct people must let it pass, of which role (empty: anyone),
    # and the names a holder of that role may act under, one a line.
    needed: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str] = mapped_column(String(200), default="")
    holders: Mapped[str] = mapped_column(Text, default="")


class GateApprovalRow(Base):
    """One person's approval of a gate that needs several; one per person."""

    __tablename__ = "gate_approvals"
    __table_args__ = (
        UniqueConstraint("decision_id", "approver", name="uq_gate_approvals_decision_approver"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(Integer, index=True)
    approver: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(TS)
