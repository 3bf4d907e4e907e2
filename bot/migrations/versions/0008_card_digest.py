"""card digest: a hash of the escalation message as last posted, to skip updates that change nothing

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cards posted before this revision have none: their next update is sent, and stores one.
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_column("card_digest")
