"""similar escalations found for each card

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "similar_match",
        sa.Column(
            "escalation_id",
            sa.Integer(),
            sa.ForeignKey("escalation.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("escalation_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("similar_match")
