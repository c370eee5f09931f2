"""Incidents, their timeline, pages, action items and captured evidence.

Revision ID: 0005_incidents
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_incidents"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _child(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=f"fk_{name}_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index(f"ix_{name}_incident_id", name, ["incident_id"])


def upgrade() -> None:
    """Create the incident tables."""
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("security", sa.Boolean, nullable=False),
        sa.Column("cause", sa.String(500), nullable=True),
        sa.Column("commander", sa.String(200), nullable=True),
        sa.Column("participants", sa.JSON, nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("window_seconds", sa.Float, nullable=False),
        sa.Column("respond_by", _TS, nullable=False),
        sa.Column("acknowledged_at", _TS, nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("mitigated_at", _TS, nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("escalation_done", sa.Integer, nullable=False),
        sa.Column("next_escalation_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_index("ix_incidents_cause", "incidents", ["cause"])
    op.create_index("ix_incidents_next_escalation_at", "incidents", ["next_escalation_at"])
    _child(
        "incident_events",
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    _child(
        "incident_pages",
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("channel", sa.String(200), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_incident_pages_status", "incident_pages", ["status"])
    _child(
        "incident_actions",
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
    )
    _child(
        "incident_evidence",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer, nullable=True),
        sa.Column("stored_as", sa.Text, nullable=True),
        sa.Column("captured_at", _TS, nullable=False),
        sa.Column("problem", sa.Text, nullable=True),
    )


def downgrade() -> None:
    """Drop the incident tables."""
    for name in ("incident_evidence", "incident_actions", "incident_pages", "incident_events"):
        op.drop_table(name)
    op.drop_table("incidents")
