"""Monitoring and notifications: samples, alerts, alert history, silences, rule tracks,
notification attempts.

Revision ID: 0004_monitoring
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_monitoring"
down_revision = "0000_base"
branch_labels = ("monitoring",)
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the monitoring and notification tables."""
    op.create_table(
        "metric_samples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("series", sa.String(50), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_samples")),
    )
    op.create_index("ix_metric_samples_metric_at", "metric_samples", ["metric", "at"])
    op.create_index(op.f("ix_metric_samples_at"), "metric_samples", ["at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("metric", sa.String(200), nullable=True),
        sa.Column("issue", sa.String(200), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledged_at", _TS, nullable=True),
        sa.Column("silence_id", sa.Integer(), nullable=True),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.Column("notified_at", _TS, nullable=True),
        sa.Column("escalated_at", _TS, nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_alerts_key")),
    )
    # Few indexes on purpose: every one is another B-tree each received alert updates.
    # Lookups go by key (unique); lists go by state, most recently changed first.
    op.create_index("ix_alerts_state_updated_at", "alerts", ["state", "updated_at"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_ends_at"), "silences", ["ends_at"])
    op.create_table(
        "rule_tracks",
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("warning_since", _TS, nullable=True),
        sa.Column("critical_since", _TS, nullable=True),
        sa.Column("firing", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("metric", name=op.f("pk_rule_tracks")),
    )
    op.create_table(
        "monitoring_leases",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_monitoring_leases")),
    )
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    op.create_index(
        op.f("ix_notification_attempts_alert_id"), "notification_attempts", ["alert_id"]
    )


def downgrade() -> None:
    """Drop the monitoring and notification tables."""
    for table in (
        "notification_attempts",
        "monitoring_leases",
        "rule_tracks",
        "silences",
        "alert_events",
        "alerts",
        "metric_samples",
    ):
        op.drop_table(table)
