"""Zendesk deliveries: stored before the webhook is answered, de-duplicated, claimed to be processed.

Zendesk retries a delivery it thinks failed and can send one twice; each carries
`X-Zendesk-Webhook-Invocation-Id`, the de-duplication key (else the ticket and the instant it was
escalated, else the body's hash). The row is all that is written while Zendesk waits; filing
happens after the answer, from the row, so a crash in between loses nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import ZendeskDelivery
from bot.zendesk.payload import TicketPayload

LEASE = timedelta(minutes=2)
KEEP_FOR = timedelta(days=7)
_INVOCATION = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")


def dedup_key(*, invocation_id: str | None, payload: TicketPayload, body: bytes) -> str:
    """What makes two deliveries the same one."""
    if invocation_id and _INVOCATION.match(invocation_id.strip()):
        return f"inv:{invocation_id.strip()}"
    if payload.escalated_at is not None:
        return f"ticket:{payload.ticket_id}:{payload.escalated_at.isoformat()}"
    return f"body:{hashlib.sha256(body).hexdigest()}"


def store(*, session: Session, payload: TicketPayload, key: str, now: datetime) -> int | None:
    """Keep a delivery to be processed: its id, or None when the same delivery was already stored."""
    table = ZendeskDelivery.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(
            dedup_key=key,
            ticket_id=payload.ticket_id,
            payload=payload.to_json(),
            status="pending",
            outcome="",
            attempts=0,
            received_at=now,
            next_attempt_at=now,
        )
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    stored = session.execute(statement).scalar()
    session.commit()
    return int(stored) if stored is not None else None


def due(*, session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Deliveries waiting to be processed, oldest first (none leased by a live process)."""
    table = ZendeskDelivery.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(table.c.id)
        .where(
            table.c.status == "pending",
            table.c.next_attempt_at <= now,
            sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        )
        .order_by(table.c.id)
        .limit(limit)
    )
    ids = [int(row[0]) for row in rows]
    session.commit()
    return ids


def claim(*, session: Session, delivery_id: int, now: datetime) -> bool:
    """Take a delivery for processing (an attempt); False when someone else has it or it is done."""
    table = ZendeskDelivery.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == delivery_id,
            table.c.status == "pending",
            table.c.next_attempt_at <= now,
            sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        )
        .values(lease_until=now + LEASE, attempts=table.c.attempts + 1)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def forget_old(*, session: Session, now: datetime) -> int:
    """Drop processed deliveries older than Zendesk would retry them (their ids de-duplicate)."""
    table = ZendeskDelivery.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.delete(table).where(table.c.received_at < now - KEEP_FOR, table.c.status != "pending")
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
