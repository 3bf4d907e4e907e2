"""Events API de-duplication: Slack retries an event it thinks we missed; we process it once."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot.models import ProcessedEvent
from bot.outbox_rows import insert_ignoring_conflict

KEEP_FOR = timedelta(days=3)


def first_delivery(*, session: Session, event_id: str, now: datetime) -> bool:
    """Record an event id; True only the first time it is seen."""
    inserted = insert_ignoring_conflict(
        session, ProcessedEvent, {"event_id": event_id[:64], "received_at": now}
    )
    session.commit()
    return inserted


def forget_old_events(*, session: Session, now: datetime) -> int:
    """Drop event ids older than Slack's retry window."""
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    result = session.execute(sa.delete(table).where(table.c.received_at < now - KEEP_FOR))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
