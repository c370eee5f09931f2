"""The maintenance tables: each task's schedule state, and every run, missed one and ping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base

TS = DateTime(timezone=True)


class TaskStateRow(Base):
    """What opsbook knows of one task of the Regular Maintenance Tasks table."""

    __tablename__ = "maintenance_tasks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    frequency: Mapped[str] = mapped_column(String(300))
    # The scheduler's cursor: the next due time it will run (None: opsbook runs nothing).
    # Advanced by compare-and-set, so of several workers exactly one queues each run.
    next_run_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    # From when the schedule counts: first seen, or the table's Last Completed.
    anchor_at: Mapped[datetime] = mapped_column(TS)
    last_success_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    last_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    last_ping_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    started_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    # The due time whose lateness raised the open overdue alert (None: none open).
    overdue_for: Mapped[datetime | None] = mapped_column(TS, default=None)
    # Since when its runs fail (the open MaintenanceFailed alert starts then; None: none).
    failing_since: Mapped[datetime | None] = mapped_column(TS, default=None)
    updated_at: Mapped[datetime] = mapped_column(TS)


class TaskRunRow(Base):
    """A run of a task: scheduled, missed, started by a person, or reported by a ping."""

    __tablename__ = "maintenance_runs"
    __table_args__ = (
        # One record per scheduled due time: a second worker's insert fails, not runs.
        UniqueConstraint("task_key", "due_at", name="uq_maintenance_runs_task_key_due_at"),
        Index("ix_maintenance_runs_task_key_id", "task_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_key: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    state: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS)
    started_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(TS, default=None)
    exit_status: Mapped[int | None] = mapped_column(Integer, default=None)
    # The process doing it (`machine:pid:start time`), so a dead one's run is reaped.
    worker: Mapped[str | None] = mapped_column(String(300), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
