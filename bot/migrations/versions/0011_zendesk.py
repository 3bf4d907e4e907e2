"""zendesk: webhook deliveries, the write-back outbox, and who filed from Zendesk

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="slack")
        )
        batch_op.add_column(sa.Column("filer_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("intake_unmapped", sa.JSON(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_escalation_zendesk_ticket_id"), ["zendesk_ticket_id"], unique=False
        )
    op.create_table(
        "zendesk_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    with op.batch_alter_table("zendesk_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_zendesk_delivery_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_zendesk_delivery_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_zendesk_delivery_ticket_id"), ["ticket_id"], unique=False
        )
    op.create_table(
        "zendesk_write",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("uncertain", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("zendesk_write", schema=None) as batch_op:
        batch_op.create_index("ix_zendesk_write_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_zendesk_write_ticket", ["ticket_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_zendesk_write_escalation_id"), ["escalation_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("zendesk_write")
    op.drop_table("zendesk_delivery")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_zendesk_ticket_id"))
        batch_op.drop_column("intake_unmapped")
        batch_op.drop_column("filer_name")
        batch_op.drop_column("source")
