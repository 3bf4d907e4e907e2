"""whether an escalation's product and category are still unconfirmed suggestions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        for name in ("product_suggested", "category_suggested"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    # Escalations filed from Zendesk before: their intake record says what was suggested.
    escalation = sa.table(
        "escalation",
        sa.column("id", sa.Integer()),
        sa.column("intake_unmapped", sa.JSON()),
        sa.column("product_suggested", sa.Boolean()),
        sa.column("category_suggested", sa.Boolean()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(escalation.c.id, escalation.c.intake_unmapped).where(
            escalation.c.intake_unmapped.is_not(None)
        )
    ).all()
    for escalation_id, unmapped in rows:
        suggested = {
            item.get("what")
            for item in unmapped or []
            if isinstance(item, dict) and item.get("suggested")
        }
        if suggested & {"product", "category"}:
            bind.execute(
                sa.update(escalation)
                .where(escalation.c.id == escalation_id)
                .values(
                    product_suggested="product" in suggested,
                    category_suggested="category" in suggested,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_column("category_suggested")
        batch_op.drop_column("product_suggested")
