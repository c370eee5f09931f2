"""Approvals of run steps with `approvals=N`, given in the web dashboard or API.

Revision ID: 0002_access_approvals
Revises: 0002_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_access_approvals"
down_revision = "0002_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the approvals table."""
    op.create_table(
        "run_approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("step_key", sa.String(200), nullable=False),
        sa.Column("approver", sa.String(100), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_approvals"),
        sa.UniqueConstraint("run_id", "step_key", "approver", name="uq_run_approvals_run_id"),
    )
    op.create_index("ix_run_approvals_run_id", "run_approvals", ["run_id"])


def downgrade() -> None:
    """Drop the approvals table."""
    op.drop_table("run_approvals")
