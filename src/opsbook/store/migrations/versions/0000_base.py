"""The root revision every domain's migrations branch from.

Revision ID: 0000_base
"""

from __future__ import annotations

revision = "0000_base"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: domains add their tables in revisions of their own."""


def downgrade() -> None:
    """Nothing to undo."""
