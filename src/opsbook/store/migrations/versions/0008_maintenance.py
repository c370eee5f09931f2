"""Maintenance: each task's schedule state and its runs (scheduled, missed, pinged, done).

Revision ID: 0008_maintenance
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_maintenance"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the maintenance tables."""
    op.create_table(
        "maintenance_tasks",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("frequency", sa.String(300), nullable=False),
        sa.Column("next_run_at", _TS, nullable=True),
        sa.Column("anchor_at", _TS, nullable=False),
        sa.Column("last_success_at", _TS, nullable=True),
        sa.Column("last_outcome", sa.String(20), nullable=True),
        sa.Column("last_ping_at", _TS, nullable=True),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("overdue_for", _TS, nullable=True),
        sa.Column("failing_since", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_maintenance_tasks"),
    )
    op.create_table(
        "maintenance_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("task_key", sa.String(200), nullable=False),
        sa.Column("due_at", _TS, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("exit_status", sa.Integer, nullable=True),
        sa.Column("worker", sa.String(300), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_runs"),
        sa.UniqueConstraint("task_key", "due_at", name="uq_maintenance_runs_task_key_due_at"),
    )
    op.create_index("ix_maintenance_runs_task_key_id", "maintenance_runs", ["task_key", "id"])


def downgrade() -> None:
    """Drop the maintenance tables."""
    op.drop_table("maintenance_runs")
    op.drop_table("maintenance_tasks")
