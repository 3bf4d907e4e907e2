"""card refresh: when the time left on an escalation's message next changes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_refresh_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_escalation_card_refresh_at"), ["card_refresh_at"], unique=False
        )
    # Cards already posted and running are refreshed by the first card-refresh run, which then
    # works out when each one's time left next changes (that needs the team's calendar).
    escalation = sa.table(
        "escalation",
        sa.column("card_refresh_at", UTCDateTime()),
        sa.column("status", sa.String()),
        sa.column("message_ts", sa.String()),
        sa.column("slo_running_since", UTCDateTime()),
    )
    op.execute(
        escalation.update()
        .where(
            escalation.c.status.in_(("open", "assigned", "investigating")),
            escalation.c.message_ts.is_not(None),
            escalation.c.slo_running_since.is_not(None),
        )
        .values(card_refresh_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_card_refresh_at"))
        batch_op.drop_column("card_refresh_at")
