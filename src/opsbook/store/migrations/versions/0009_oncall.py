"""On-call: the tokens of calendar feeds (hash only), each scoped to one rotation's feed;
the handoffs announced (each once).

Revision ID: 0009_oncall
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_oncall"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the on-call tables."""
    op.create_table(
        "oncall_feed_tokens",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("rotation", sa.String(60), nullable=False),
        sa.Column("person", sa.String(300), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_feed_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_oncall_feed_tokens_token_hash"),
    )
    op.create_table(
        "oncall_handoffs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("rotation", sa.String(60), nullable=False),
        sa.Column("layer", sa.String(60), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("outgoing", sa.String(300), nullable=False),
        sa.Column("incoming", sa.String(300), nullable=False),
        sa.Column("announced_at", _TS, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_handoffs"),
        sa.UniqueConstraint("rotation", "layer", "at", name="uq_oncall_handoffs_rotation"),
    )


def downgrade() -> None:
    """Drop the on-call tables."""
    op.drop_table("oncall_handoffs")
    op.drop_table("oncall_feed_tokens")
