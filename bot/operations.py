"""What an operator watches, read from the database: open escalations and the outbox's backlog.

Computed by the scheduler's leader only (`bot.metrics` says why): a few indexed aggregates.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from bot.metrics import DbGauge
from bot.models import UNRESOLVED_STATUSES, Escalation, Outbox, OutboxStatus


def database_gauges(*, session: Session, now: datetime) -> list[DbGauge]:
    """Open escalations by status and priority; pending and failed posts; the oldest one's age."""
    escalation = Escalation.__table__  # type: ignore[attr-defined]
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    open_rows = session.execute(
        sa.select(escalation.c.status, escalation.c.priority, sa.func.count())
        .where(escalation.c.status.in_([str(s) for s in UNRESOLVED_STATUSES]))
        .group_by(escalation.c.status, escalation.c.priority)
    ).all()
    pending, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
            outbox.c.status == str(OutboxStatus.PENDING)
        )
    ).one()
    failed = session.execute(
        sa.select(sa.func.count()).where(outbox.c.status == str(OutboxStatus.FAILED))
    ).scalar_one()
    session.commit()
    oldest_age = (now - _utc(oldest)).total_seconds() if oldest is not None else 0.0
    return [
        (
            "crebot_escalations_open",
            "Escalations not resolved, by status and priority (from the database).",
            ["status", "priority"],
            [([str(status), str(priority)], float(count)) for status, priority, count in open_rows],
        ),
        ("crebot_outbox_pending", "Slack posts waiting to be sent.", [], [([], float(pending))]),
        ("crebot_outbox_failed", "Slack posts given up on.", [], [([], float(failed))]),
        (
            "crebot_outbox_oldest_pending_age_seconds",
            "How long the oldest waiting Slack post has waited.",
            [],
            [([], max(oldest_age, 0.0))],
        ),
    ]


def _utc(value: datetime) -> datetime:
    """A timestamp from an aggregate (naive on SQLite, in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
