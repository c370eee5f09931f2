"""Deploy: configuration baselines (each accepted version of each file), gate decisions.

Revision ID: 0010_deploy
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_deploy"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the deploy tables."""
    op.create_table(
        "config_baselines",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(1200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("exists", sa.Boolean, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mode", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("grp", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("alerted_for", sa.String(64), nullable=True),
        sa.Column("alert_started_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_config_baselines"),
        sa.UniqueConstraint("key", "version", name="uq_config_baselines_key_version"),
    )
    op.create_index("ix_config_baselines_key_current", "config_baselines", ["key", "current"])
    op.create_table(
        "gate_decisions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("gate", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("asked_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("needed", sa.Integer, nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("holders", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gate_decisions"),
    )
    op.create_index("ix_gate_decisions_state", "gate_decisions", ["state"])
    op.create_table(
        "gate_approvals",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("decision_id", sa.Integer, nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("approved_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gate_approvals"),
        sa.UniqueConstraint("decision_id", "approver", name="uq_gate_approvals_decision_approver"),
    )
    op.create_index("ix_gate_approvals_decision_id", "gate_approvals", ["decision_id"])


def downgrade() -> None:
    """Drop the deploy tables."""
    op.drop_table("gate_approvals")
    op.drop_table("gate_decisions")
    op.drop_table("config_baselines")
