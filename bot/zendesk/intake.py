"""Processing a stored Zendesk delivery: file the escalation, or link it to the ticket's open one.

The escalation filed from a ticket is the same as one filed in Slack (card, assignment, SLO clock,
reminders, digest, chart); its SLO starts when the ticket was escalated, not when we got to it.
Its filer is the Zendesk agent: the Slack user with their email address, else recorded by name.
That person (or the `[zendesk] cs_channel`) is told in Slack (the words are handed in by the
wiring: `bot.zendesk.notices`). A product or category the ticket's fields and tags do not give is
suggested from its text by the team's resolved escalations when they are confident (handed in by
the wiring too), and the card says it was suggested. A ticket that already has an open
escalation is not filed twice: the delivery becomes a line in that escalation's thread.

Processing is idempotent: the escalation's intake key is the delivery's, and the delivery is
marked done in the same transaction as what it did, so a crash part-way is simply done again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import escalations
from bot.db import Database
from bot.models import UNRESOLVED_STATUSES, Escalation, ZendeskDelivery
from bot.outbox_rows import OutboxRow, enqueue
from bot.policy import Policy
from bot.zendesk import inbox
from bot.zendesk.mapping import TicketIntake, map_ticket, with_suggestions
from bot.zendesk.payload import TicketPayload

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Processed:
    """What became of one delivery."""

    delivery_id: int
    outcome: str  # filed, linked, retrying, failed
    escalation_id: int | None = None


@dataclass
class ZendeskIntake:
    """Turns stored deliveries into escalations (or thread lines), each delivery once."""

    db: Database
    policy: Policy
    clock: Callable[[], datetime]
    slack_user: Callable[[str], str | None]  # a Slack user id by email address
    after: Callable[[int], None] = lambda _escalation_id: None  # deliver what was promised
    # What Slack is told (words are the presentation's; None: nothing to tell).
    filer_notice: Callable[[Escalation], OutboxRow | None] = lambda _escalation: None
    failure_notice: Callable[[int, int, str], OutboxRow | None] = lambda *_args: None
    # (product, category) suggested for a ticket's text by the team's resolved escalations,
    # each None when not confident; asked only for what the mapping did not find, never waits.
    suggest: Callable[[str], tuple[str | None, str | None]] = lambda _text: (None, None)

    def process_due(self, *, limit: int = 100) -> list[Processed]:
        """Process every delivery that is due now."""
        with self.db.session() as session:
            ids = inbox.due(session=session, now=self.clock(), limit=limit)
        done = [self.process(delivery_id) for delivery_id in ids]
        return [p for p in done if p is not None]

    def process(self, delivery_id: int) -> Processed | None:
        """Process one delivery if nobody else is (None when it was not ours to take)."""
        with self.db.session() as session:
            if not inbox.claim(session=session, delivery_id=delivery_id, now=self.clock()):
                return None
            row = session.get(ZendeskDelivery, delivery_id)
            assert row is not None
            payload, received_at = TicketPayload.from_json(row.payload), row.received_at
        try:
            intake = self._suggested(
                map_ticket(policy=self.policy, payload=payload, received_at=received_at)
            )
            filer = self.slack_user(intake.agent_email) if intake.agent_email else None
            processed = self._file_or_link(delivery_id, intake, filer or "")
        except Exception as exc:  # recorded on the row and retried; never lost quietly
            log.error(
                "zendesk delivery %s (ticket %s) failed: %s",
                delivery_id,
                payload.ticket_id,
                exc.__class__.__name__,
                exc_info=exc,
            )
            return self._failed(delivery_id, payload.ticket_id, exc.__class__.__name__)
        if processed.escalation_id is not None:
            self.after(processed.escalation_id)
        return processed

    def _suggested(self, intake: TicketIntake) -> TicketIntake:
        """The product and category the mapping did not find, suggested when confident (a
        suggestion that fails leaves the defaults: filing never depends on it)."""
        if not intake.guessable:
            return intake
        try:
            product, category = self.suggest(intake.text)
        except Exception as exc:
            log.warning("no suggestion for a Zendesk ticket: %s", exc.__class__.__name__)
            return intake
        return with_suggestions(intake, product=product, category=category)

    def _file_or_link(self, delivery_id: int, intake: TicketIntake, filer: str) -> Processed:
        ticket_id = intake.draft.zendesk.ticket_id if intake.draft.zendesk else 0
        with self.db.session() as session:
            row = session.get(ZendeskDelivery, delivery_id)
            assert row is not None
            intake_key = f"zendesk:{row.dedup_key}"[:200]
            _lock_ticket(session, ticket_id)
            mine = session.exec(
                select(Escalation).where(Escalation.intake_key == intake_key)
            ).first()
            open_one = mine or _open_escalation(session, ticket_id)
            if open_one is not None and mine is None:
                assert open_one.id is not None
                escalations.record_activity(
                    session=session,
                    policy=self.policy,
                    escalation=open_one,
                    actor_id=filer,
                    kind="zendesk_updated",
                    now=self.clock(),
                    data={"ticket": ticket_id},
                    thread=True,
                )
                _done(session, row, "linked", open_one.id, self.clock())
                session.commit()
                return Processed(delivery_id, "linked", open_one.id)
            draft = dataclasses.replace(
                intake.draft,
                source="zendesk",
                filer_name=None if filer else (intake.agent_name or intake.agent_email or None),
                unmapped=tuple(u.to_json() for u in intake.unmapped),
            )
            filed = escalations.file_escalation(
                session=session,
                policy=self.policy,
                draft=draft,
                filed_by=filer,
                intake_key=intake_key,
                now=intake.escalated_at,
            ).escalation
        assert filed.id is not None
        with self.db.session() as session:
            row = session.get(ZendeskDelivery, delivery_id)
            escalation = session.get(Escalation, filed.id)
            assert row is not None
            assert escalation is not None
            notice = self.filer_notice(escalation)
            if notice is not None:
                enqueue(session, notice, now=self.clock())
            _done(session, row, "filed", filed.id, self.clock())
            session.commit()
        return Processed(delivery_id, "filed", filed.id)

    def _failed(self, delivery_id: int, ticket_id: int, error: str) -> Processed:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(ZendeskDelivery, delivery_id)
            assert row is not None
            row.lease_until = None
            row.last_error = error[:200]
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.outcome, row.processed_at = "failed", "failed", now
                notice = self.failure_notice(delivery_id, ticket_id, error)
                if notice is not None:
                    enqueue(session, notice, now=now)
            else:
                row.next_attempt_at = now + timedelta(seconds=30) * 2 ** (row.attempts - 1)
            session.add(row)
            session.commit()
            return Processed(delivery_id, row.outcome or "retrying")


def _open_escalation(session: Session, ticket_id: int) -> Escalation | None:
    return session.exec(
        select(Escalation)
        .where(
            Escalation.zendesk_ticket_id == ticket_id,
            col(Escalation.status).in_(UNRESOLVED_STATUSES),
        )
        .order_by(col(Escalation.id).desc())
        .limit(1)
    ).first()


def _lock_ticket(session: Session, ticket_id: int) -> None:
    """Deliveries for one ticket are processed one at a time (SQLite: the write lock at BEGIN)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"zendesk-ticket:{ticket_id}"},
        )


def _done(
    session: Session, row: ZendeskDelivery, outcome: str, escalation_id: int, now: datetime
) -> None:
    row.status, row.outcome, row.escalation_id = "done", outcome, escalation_id
    row.processed_at, row.lease_until, row.last_error = now, None, None
    session.add(row)
