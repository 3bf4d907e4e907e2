"""One scheduler per deployment: the leader is elected through the database with a renewed lease.

Every process that may run jobs (each gunicorn worker of `crebot serve`, a `crebot scheduler`) is a
candidate. Each renews or takes the lease every few seconds; only the holder runs the scheduled
jobs, and it stops thinking itself leader a margin before its lease ends, so a leader cut off
from the database stands down before anyone else can take over. A crashed leader's lease simply
expires and the next candidate to renew takes it: well within one SLO sweep interval.

Jobs stay exactly-once without this (every run claims its period, every post has its key); the
lease makes the deployment do each job once instead of racing N processes to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot.models import Lease
from bot.outbox_rows import insert_ignoring_conflict

SCHEDULER = "scheduler"
TTL = timedelta(seconds=30)  # a crashed leader is replaced within this (plus one renewal)
RENEW_EVERY = timedelta(seconds=5)
MARGIN = timedelta(seconds=5)  # a leader stands down this long before its lease could be taken
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def try_lead(
    *, session: Session, owner: str, now: datetime, name: str = SCHEDULER, ttl: timedelta = TTL
) -> datetime | None:
    """Take the lease if it is free or expired, or renew it if `owner` holds it.

    Returns until when `owner` leads (the lease's end), or None when someone else holds it.
    """
    expires = now + ttl
    values = {
        "name": name,
        "owner": owner[:120],
        "acquired_at": now,
        "renewed_at": now,
        "expires_at": expires,
    }
    if insert_ignoring_conflict(session, Lease, values):
        session.commit()
        return expires
    table = Lease.__table__  # type: ignore[attr-defined]
    taken = session.execute(
        sa.update(table)
        .where(
            table.c.name == name,
            sa.or_(table.c.owner == owner[:120], table.c.expires_at < now),
        )
        .values(
            owner=owner[:120],
            renewed_at=now,
            expires_at=expires,
            acquired_at=sa.case((table.c.owner == owner[:120], table.c.acquired_at), else_=now),
        )
    )
    session.commit()
    return expires if taken.rowcount else None  # type: ignore[attr-defined]


def resign(*, session: Session, owner: str, name: str = SCHEDULER) -> None:
    """Give the lease up at once (a clean shutdown), so the next candidate need not wait it out."""
    table = Lease.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table)
        .where(table.c.name == name, table.c.owner == owner[:120])
        .values(expires_at=_NEVER)
    )
    session.commit()


def leader(*, session: Session, now: datetime, name: str = SCHEDULER) -> Lease | None:
    """Who holds the lease now (None when nobody does, or it has expired)."""
    lease = session.get(Lease, name, populate_existing=True)
    return lease if lease is not None and lease.expires_at > now else None
