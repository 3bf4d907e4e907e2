"""Exactly-once job runs: before acting, a job claims (job, period) under a unique constraint."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.models import JobRun
from bot.outbox_rows import insert_ignoring_conflict

DEFAULT_LEASE = timedelta(minutes=15)


def claim(
    *,
    session: Session,
    job: str,
    period_key: str,
    owner: str,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> bool:
    """Claim a run; False when another process has it (running within its lease) or finished it."""
    inserted = insert_ignoring_conflict(
        session,
        JobRun,
        {
            "job": job,
            "period_key": period_key,
            "status": "running",
            "owner": owner[:120],
            "started_at": now,
            "lease_until": now + lease,
            "detail": "",
        },
    )
    if inserted:
        session.commit()
        return True
    table = JobRun.__table__  # type: ignore[attr-defined]
    # A run that failed, or whose owner died (lease expired), may be taken over by exactly one process.
    result = session.execute(
        sa.update(table)
        .where(
            table.c.job == job,
            table.c.period_key == period_key,
            sa.or_(
                table.c.status == "failed",
                sa.and_(table.c.status == "running", table.c.lease_until < now),
            ),
        )
        .values(
            status="running",
            owner=owner[:120],
            started_at=now,
            lease_until=now + lease,
            finished_at=None,
        )
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish(
    *, session: Session, job: str, period_key: str, ok: bool, detail: str, now: datetime
) -> None:
    """Record how a claimed run ended."""
    run = session.exec(
        select(JobRun).where(JobRun.job == job, JobRun.period_key == period_key)
    ).first()
    if run is None:
        return
    run.status = "done" if ok else "failed"
    run.finished_at = now
    run.detail = detail[:500]
    session.add(run)
    session.commit()


def is_done(*, session: Session, job: str, period_key: str) -> bool:
    """Whether a run for this period finished."""
    run = session.exec(
        select(JobRun).where(JobRun.job == job, JobRun.period_key == period_key)
    ).first()
    return run is not None and run.status == "done"


def forget_old_runs(
    *, session: Session, now: datetime, keep: timedelta = timedelta(days=400)
) -> int:
    """Delete run records older than `keep` (a year of monthly digests stays visible)."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    result = session.execute(sa.delete(table).where(table.c.started_at < now - keep))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
