"""The timeline: an append-only record of who did what, and the Slack posts each entry promises.

An entry is written in the caller's transaction together with its card redraw and thread line
(outbox rows, worded when they are sent) and the notes and tags it owes the escalation's Zendesk
ticket (`bot.zendesk.writeback`), so the record, Slack and the ticket never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import assignee_dm, outbox_keys, unclaimed
from bot.escalations import loop
from bot.models import Escalation, EscalationEvent
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.policy import Policy
from bot.zendesk import writeback

_EVENTS = EscalationEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENT = sa.insert(_EVENTS).returning(_EVENTS.c.id)
_EVENT_COLUMNS = ("escalation_id", "at", "actor_id", "kind", "data")


def timeline(*, session: Session, escalation_id: int) -> Sequence[EscalationEvent]:
    """An escalation's events, in order."""
    return session.exec(
        select(EscalationEvent)
        .where(EscalationEvent.escalation_id == escalation_id)
        .order_by(col(EscalationEvent.id))
    ).all()


def record_event(
    session: Session,
    policy: Policy,
    escalation: Escalation,
    *,
    actor_id: str | None,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    card: bool = True,
    thread: bool = True,
) -> EscalationEvent:
    """Append the event to the timeline and promise its Slack posts (card refresh, thread line,
    the assignee's DM)."""
    assert escalation.id is not None
    event = EscalationEvent(
        escalation_id=escalation.id, at=now, actor_id=actor_id, kind=kind, data=data or {}
    )
    # One prebuilt INSERT … RETURNING id, not a unit-of-work flush: every change writes one.
    values = {name: getattr(event, name) for name in _EVENT_COLUMNS}
    event_id: int = session.execute(_INSERT_EVENT, values).scalar_one()
    event.id = event_id
    rows = []
    if card:
        key = outbox_keys.card_update(escalation.id, event_id)
        rows.append(OutboxRow.card_update(key, escalation_id=escalation.id))
    if thread:
        key = outbox_keys.thread_line(escalation.id, event_id)
        rows.append(OutboxRow.timeline_line(key, escalation_id=escalation.id, event_id=event_id))
    if card or kind in assignee_dm.ASSIGNING:
        # A new assignee's DM; a change redraws the DMs already sent about it.
        rows += assignee_dm.rows_for_event(
            session=session, escalation=escalation, kind=kind, event_id=event_id
        )
    # One INSERT for all of them (in this order: the order they are sent in).
    enqueue_many(session, rows, now=now)
    if card:
        unclaimed.on_change(
            session=session, policy=policy, escalation=escalation, event_id=event_id, now=now
        )
    if card:
        loop.on_event(session=session, escalation=escalation, event=event, now=now)
    # What the entry owes the escalation's Zendesk ticket, if it has one (`lifecycle.WriteBack`).
    writeback.on_event(session=session, policy=policy, escalation=escalation, event=event, now=now)
    return event


def record_activity(
    *,
    session: Session,
    policy: Policy,
    escalation: Escalation,
    actor_id: str,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    thread: bool = False,
) -> EscalationEvent:
    """Record a non-status event (a thread reply, a note) in the timeline, within the caller's transaction."""
    return record_event(
        session,
        policy,
        escalation,
        actor_id=actor_id,
        kind=kind,
        now=now,
        data=data,
        card=False,
        thread=thread,
    )
