"""Access control: users, API tokens and browser sessions (hashes only).

Revision ID: 0002_access
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_access"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the access tables."""
    op.create_table(
        "access_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_users"),
        sa.UniqueConstraint("name", name="uq_access_users_name"),
    )
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_access_tokens_token_hash"),
    )
    op.create_index("ix_access_tokens_name", "access_tokens", ["name"])
    op.create_table(
        "access_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("token_id", sa.Integer, nullable=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_sessions"),
        sa.UniqueConstraint("session_hash", name="uq_access_sessions_session_hash"),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["access_tokens.id"],
            ondelete="CASCADE",
            name="fk_access_sessions_token_id_access_tokens",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["access_users.id"],
            ondelete="CASCADE",
            name="fk_access_sessions_user_id_access_users",
        ),
    )
    op.create_index("ix_access_sessions_expires_at", "access_sessions", ["expires_at"])


def downgrade() -> None:
    """Drop the access tables."""
    op.drop_table("access_sessions")
    op.drop_table("access_tokens")
    op.drop_table("access_users")
