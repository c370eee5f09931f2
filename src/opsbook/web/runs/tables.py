"""Approvals of a step with `approvals=N`: one row per person who approved it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base


class ApprovalRow(Base):
    __tablename__ = "run_approvals"
    __table_args__ = (
        UniqueConstraint("run_id", "step_key", "approver", name="uq_run_approvals_run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, index=True)
    step_key: Mapped[str] = mapped_column(String(200))
    approver: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
