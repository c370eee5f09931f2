"""Backups and their manifests, restore drills, the coverage ledger, the RPO watch, DR drills.

Revision ID: 0007_backups
Revises: 0000_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_backups"
down_revision = "0000_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the backup tables."""
    op.create_table(
        "backups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("driver", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("duration_seconds", sa.Float, nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("files", sa.Integer, nullable=True),
        sa.Column("sha256", sa.String(100), nullable=True),
        sa.Column("location", sa.String(500), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pruned_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_backups"),
    )
    op.create_index("ix_backups_name_started_at", "backups", ["name", "started_at"])
    op.create_table(
        "backup_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("backup_id", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mode", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backup_files"),
        sa.ForeignKeyConstraint(
            ["backup_id"],
            ["backups.id"],
            name="fk_backup_files_backup_id_backups",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_backup_files_backup_id", "backup_files", ["backup_id"])
    op.create_table(
        "backup_drills",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("backup_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("duration_seconds", sa.Float, nullable=True),
        sa.Column("checked", sa.Integer, nullable=False),
        sa.Column("matched", sa.Integer, nullable=False),
        sa.Column("mismatched", sa.JSON, nullable=False),
        sa.Column("missing", sa.JSON, nullable=False),
        sa.Column("problems", sa.JSON, nullable=False),
        sa.Column("mismatch_count", sa.Integer, nullable=False),
        sa.Column("missing_count", sa.Integer, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backup_drills"),
        sa.ForeignKeyConstraint(
            ["backup_id"],
            ["backups.id"],
            name="fk_backup_drills_backup_id_backups",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_backup_drills_name_seq", "backup_drills", ["name", "seq"])
    op.create_table(
        "backup_coverage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("checked_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backup_coverage"),
        sa.UniqueConstraint("name", "path", name="uq_backup_coverage_name_path"),
    )
    op.create_table(
        "backup_watch",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("rpo_alert_since", _TS, nullable=True),
        sa.Column("drill_alert_since", _TS, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_backup_watch"),
    )
    op.create_table(
        "dr_drills",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("rto_seconds", sa.Float, nullable=True),
        sa.Column("rpo_seconds", sa.Float, nullable=True),
        sa.Column("rto_target", sa.Float, nullable=True),
        sa.Column("rpo_target", sa.Float, nullable=True),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dr_drills"),
    )


def downgrade() -> None:
    """Drop the backup tables."""
    for table in (
        "dr_drills",
        "backup_watch",
        "backup_coverage",
        "backup_drills",
        "backup_files",
        "backups",
    ):
        op.drop_table(table)
