"""similarity index: encoded escalation texts and the index generation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "similarity_doc",
        sa.Column(
            "escalation_id",
            sa.Integer(),
            sa.ForeignKey("escalation.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("escalation_version", sa.Integer(), nullable=False),
        sa.Column("scorer", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("encoded", sa.LargeBinary(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_similarity_doc_generation", "similarity_doc", ["generation"])
    op.create_table(
        "similarity_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("similarity_state")
    op.drop_index("ix_similarity_doc_generation", table_name="similarity_doc")
    op.drop_table("similarity_doc")
