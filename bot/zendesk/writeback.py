"""Write-back: what happens to an escalation, told to its Zendesk ticket as internal notes and tags.

Each note or tag change is a `ZendeskWrite` row promised in the same transaction as the change
that causes it, under a unique key (`zd:<escalation>:<event>:<kind>`), so a retried request or a
second process stores it once. Rows of one ticket are written in order. A note carries a marker
(`[cre-bot:ESC-42:resolved:137]`): when a write may have reached Zendesk without our knowing (a
timeout, a 5xx from a gateway, a process that died holding the row), the ticket's newest comments
are searched for the marker before the note is written again. Tag changes are idempotent and are
simply repeated.

Pacing is the writer's: it takes a slot from the rate limiter (Update Ticket allows 100 requests a
minute per account) before it claims a row, honours a 429's Retry-After for every row, backs off
from 5xx and timeouts, and gives up on what cannot succeed (a closed or deleted ticket) or after
`MAX_ATTEMPTS`. A row given up on stays visible (`/cre show` lists it) and the lead is told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import lifecycle, outbox_keys
from bot.db import Database
from bot.errors import NotAllowed
from bot.lifecycle import WriteBack
from bot.models import Escalation, EscalationEvent, ZendeskWrite
from bot.outbox_rows import insert_ignoring_conflict
from bot.policy import Policy
from bot.zendesk.client import ZendeskClient, ZendeskError
from bot.zendesk.ratelimit import RateLimiter

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_PASS_WAIT = 120.0  # seconds of Retry-After a pass waits out itself (longer: a later pass)
MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=1)


class WriteStatus(StrEnum):
    """Where a write stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up on: the lead was told; it can be tried again


class WriteKind(StrEnum):
    """What a row asks of the ticket."""

    NOTE = "note"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"


# Filing writes `auto_assigned` or `unassigned` next to `filed`: the ticket's first note, and its tag.
AT_FILING = frozenset({"auto_assigned", "unassigned"})


def marker(escalation_key: str, event: str, event_id: int) -> str:
    """The text a note ends with, by which it is found again: `[cre-bot:ESC-42:resolved:137]`."""
    return f"[cre-bot:{escalation_key}:{event}:{event_id}]"


# -- promising writes (inside the caller's transaction) ----------------------------------------


def on_event(
    *,
    session: Session,
    policy: Policy,
    escalation: Escalation,
    event: EscalationEvent,
    now: datetime,
) -> int:
    """Promise what a timeline event owes the escalation's ticket; how many rows were stored."""
    what = lifecycle.write_back(event.kind)
    ticket_id = escalation.zendesk_ticket_id
    if what is None or ticket_id is None or not policy.zendesk.write_back:
        return 0
    assert escalation.id is not None
    assert event.id is not None
    zendesk = policy.zendesk
    facts: dict[str, Any] = {
        "key": escalation.key,
        "event": str(what),
        "actor": event.actor_id,
        "at_filing": event.kind in AT_FILING,
        "marker": marker(escalation.key, str(what), event.id),
        **{k: v for k, v in (event.data or {}).items() if isinstance(v, str | int | None)},
    }
    if what is WriteBack.RESOLVED:
        facts["cause"] = escalation.resolution_cause
        facts["answer"] = escalation.resolution_answer
    if event.kind in AT_FILING:
        facts["priority"] = escalation.priority
        facts["due_at"] = escalation.slo_due_at.isoformat() if escalation.slo_due_at else None
    if zendesk.status_field:
        facts["custom_fields"] = [{"id": zendesk.status_field, "value": f"cre_{escalation.status}"}]
    rows: list[tuple[WriteKind, dict[str, Any]]] = [(WriteKind.NOTE, facts)]
    if event.kind in AT_FILING:
        rows.append((WriteKind.ADD_TAGS, {"tags": [zendesk.tags.escalated]}))
    if what is WriteBack.RESOLVED:
        rows.append((WriteKind.ADD_TAGS, {"tags": [zendesk.tags.resolved]}))
    if what is WriteBack.REOPENED:
        rows.append((WriteKind.REMOVE_TAGS, {"tags": [zendesk.tags.resolved]}))
    stored = 0
    for kind, payload in rows:
        stored += insert_ignoring_conflict(
            session,
            ZendeskWrite,
            {
                "key": outbox_keys.zendesk_write(escalation.id, event.id, kind),
                "kind": str(kind),
                "event": str(what),
                "escalation_id": escalation.id,
                "ticket_id": ticket_id,
                "payload": payload,
                "status": str(WriteStatus.PENDING),
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "uncertain": False,
            },
        )
    return stored


# -- reading ------------------------------------------------------------------------------------


def unwritten(*, session: Session, escalation_id: int) -> Sequence[ZendeskWrite]:
    """An escalation's notes and tag changes not yet on the ticket (pending or given up), in order."""
    return session.exec(
        select(ZendeskWrite)
        .where(
            ZendeskWrite.escalation_id == escalation_id,
            col(ZendeskWrite.status).in_([WriteStatus.PENDING, WriteStatus.FAILED]),
        )
        .order_by(col(ZendeskWrite.id))
    ).all()


def retry(
    *, session: Session, policy: Policy, write_id: int, actor_id: str, now: datetime
) -> ZendeskWrite | None:
    """Put a write that was given up on back in line (the lead's *Try again*); None if not failed."""
    if not policy.is_lead(actor_id):
        raise NotAllowed("error.not_allowed.zendesk_retry")
    row = session.get(ZendeskWrite, write_id)
    if row is None or row.status != WriteStatus.FAILED:
        return None
    row.status, row.attempts, row.next_attempt_at = WriteStatus.PENDING, 0, now
    row.last_error = None
    session.add(row)
    session.commit()
    return row


# -- writing ------------------------------------------------------------------------------------


@dataclass
class WriteReport:
    """What one writing pass did."""

    sent: int = 0
    found: int = 0  # notes an earlier, uncertain attempt had written after all
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


NoteRenderer = Callable[[Session, ZendeskWrite], str]
GaveUp = Callable[[Session, ZendeskWrite, datetime], None]


def _statements() -> dict[str, Any]:
    table = ZendeskWrite.__table__  # type: ignore[attr-defined]
    earlier = table.alias("earlier")
    now = sa.bindparam("now", type_=table.c.next_attempt_at.type)
    pending = table.c.status == str(WriteStatus.PENDING)
    free = sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now)
    heads = (
        sa.select(table.c.id)
        .where(
            pending,
            table.c.next_attempt_at <= now,
            free,
            ~sa.exists(
                sa.select(earlier.c.id).where(
                    earlier.c.ticket_id == table.c.ticket_id,
                    earlier.c.status == str(WriteStatus.PENDING),
                    earlier.c.id < table.c.id,
                )
            ),
        )
        .order_by(table.c.id)
        .limit(sa.bindparam("limit"))
    )
    claim = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"), pending, table.c.next_attempt_at <= now, free)
        .values(
            lease_until=sa.bindparam("lease_until", type_=table.c.lease_until.type),
            # A lease left behind means its holder died, maybe after Zendesk took the write.
            uncertain=sa.or_(table.c.uncertain, table.c.lease_until.is_not(None)),
        )
    )
    return {"heads": heads, "claim": claim}


_STATEMENTS = _statements()


@dataclass
class ZendeskWriter:
    """Writes due rows to Zendesk: each ticket's in order, each row by one process, at the limit."""

    db: Database
    api: ZendeskClient
    limiter: RateLimiter
    render_note: NoteRenderer
    gave_up: GaveUp
    clock: Callable[[], datetime]
    max_attempts: int = MAX_ATTEMPTS
    backoff: timedelta = timedelta(seconds=30)  # after a 5xx or a timeout, doubling each time

    def write_due(self, *, limit: int = 1000) -> WriteReport:
        """Write what is due now, oldest first, until nothing is due or `limit` rows were tried."""
        report = WriteReport()
        tried = 0
        while tried < limit:
            heads = self._heads(limit=min(100, limit - tried))
            if not heads:
                pause = self.limiter.paused_for()
                if 0 < pause <= MAX_PASS_WAIT:
                    self.limiter.wait(pause)  # what a 429 held back is due when the pause ends
                    continue
                break
            for row_id in heads:
                taken = self.limiter.acquire()  # before the claim: a wait never outlives a lease
                outcome = self._write_one(row_id, report, taken)
                if outcome is None:
                    self.limiter.refund(taken)  # another writer had it: the slot was not used
                else:
                    tried += 1
        return report

    def _heads(self, *, limit: int) -> list[int]:
        with self.db.session() as session:
            ids = [
                int(row[0])
                for row in session.execute(
                    _STATEMENTS["heads"], {"now": self.clock(), "limit": limit}
                )
            ]
            session.commit()
        return ids

    def _write_one(self, row_id: int, report: WriteReport, taken: float) -> WriteStatus | None:
        now = self.clock()
        with self.db.session() as session:
            claimed = session.execute(
                _STATEMENTS["claim"], {"row_id": row_id, "now": now, "lease_until": now + LEASE}
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                session.commit()
                return None  # another process took it, or it is waiting out a Retry-After
            row = session.get(ZendeskWrite, row_id)
            assert row is not None
            text = self.render_note(session, row) if row.kind == WriteKind.NOTE else ""
            session.commit()
        try:
            found = self._perform(row, text)
        except ZendeskError as error:
            self.limiter.sent(taken)
            return self._failed(row_id, error, report)
        self.limiter.sent(taken)
        self._sent(row_id)
        report.sent += not found
        report.found += found
        return WriteStatus.SENT

    def _perform(self, row: ZendeskWrite, text: str) -> bool:
        """Make the write; True when an earlier attempt turned out to have made it already."""
        payload = row.payload or {}
        if row.kind == WriteKind.NOTE:
            if row.uncertain and self.api.has_comment_with(row.ticket_id, payload["marker"]):
                return True
            self.api.add_internal_note(
                row.ticket_id, text, custom_fields=payload.get("custom_fields") or ()
            )
        elif row.kind == WriteKind.ADD_TAGS:
            self.api.add_tags(row.ticket_id, payload["tags"])
        else:
            self.api.remove_tags(row.ticket_id, payload["tags"])
        return False

    def _sent(self, row_id: int) -> None:
        with self.db.session() as session:
            row = session.get(ZendeskWrite, row_id)
            assert row is not None
            row.status, row.sent_at, row.lease_until = WriteStatus.SENT, self.clock(), None
            row.attempts += 1
            row.uncertain = False
            session.add(row)
            session.commit()

    def _failed(self, row_id: int, error: ZendeskError, report: WriteReport) -> WriteStatus:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(ZendeskWrite, row_id)
            assert row is not None
            row.lease_until = None
            row.last_error = error.code[:200]
            row.uncertain = row.uncertain or error.maybe_applied
            if error.retry_after is not None and error.status in (429, 503):
                # Zendesk asked us to wait: not the row's fault, so no attempt is used up.
                self.limiter.pause(error.retry_after)
                row.next_attempt_at = now + timedelta(seconds=error.retry_after)
            else:
                row.attempts += 1
                if error.permanent or row.attempts >= self.max_attempts:
                    row.status = WriteStatus.FAILED
                else:
                    backoff = self.backoff * 2 ** min(row.attempts - 1, 10)
                    row.next_attempt_at = now + min(backoff, MAX_BACKOFF)
            session.add(row)
            if row.status == WriteStatus.FAILED:
                log.error("zendesk write %s gave up: %s", row.key, error.code)
                self.gave_up(session, row, now)
                report.failed += 1
            else:
                report.retrying += 1
            report.errors.append(f"{row.key}: {error.code}")
            session.commit()
            return WriteStatus(row.status)
