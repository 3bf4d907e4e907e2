"""the first of each card's similar escalations, indexed: the cards to redraw when it changes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ix_similar_match_first_match_id"


def upgrade() -> None:
    with op.batch_alter_table("similar_match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_match_id", sa.Integer(), nullable=True))
        batch_op.create_index(INDEX, ["first_match_id"], unique=False)
    # Matches found before: their first id is read from the stored list (the same on both dialects).
    similar_match = sa.table(
        "similar_match",
        sa.column("escalation_id", sa.Integer()),
        sa.column("matches", sa.JSON()),
        sa.column("first_match_id", sa.Integer()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(similar_match.c.escalation_id, similar_match.c.matches)).all()
    firsts = [
        {"card": escalation_id, "first": int(matches[0][0])}
        for escalation_id, matches in rows
        if matches
    ]
    if firsts:
        bind.execute(
            sa.update(similar_match)
            .where(similar_match.c.escalation_id == sa.bindparam("card"))
            .values(first_match_id=sa.bindparam("first")),
            firsts,
        )


def downgrade() -> None:
    with op.batch_alter_table("similar_match", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("first_match_id")
